"""The advertiser's offers: list, create with goals, landings, targeting, caps and promo, edit, and submit
for moderation, through the same services as the API."""

from __future__ import annotations

import re

import pytest

from admin_ui.i18n import Translator
from network.offers import service as offers
from network.offers.schemas import OfferUpdate, Schedule, Targeting
from network.offers.tables import Offer
from network.tenants.tables import Network
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, field_error, page_text
from tests.ui.test_i18n import RU, _assert_russian

pytestmark = pytest.mark.sqlite_only
HOURS_INVALID = Translator("en")("adv.offers.hours_invalid")


def _new_offer(tag: str) -> dict[str, str]:
    return {
        "name": f"Loans {tag}",
        "description": "Personal loans",
        "category": "finance",
        "currency": "EUR",
        "visibility": "approval_required",
        "attribution_window_days": "14",
        "cap_policy": "hold",
        "min_ctct_seconds": "0",
        "max_ctct_seconds": "0",
        "trafficback_url": "",
        "allowed_sources": "social, context",
        "targeting.countries": "de, at",
        "goals[0].key": "loan",
        "goals[0].name": "Loan issued",
        "goals[0].kind": "CPA",
        "goals[1].key": "",
        "goals[1].name": "",
        "landings[0].name": "Main",
        "landings[0].url_template": "https://loans.example/?cid={click_id}&s={sub1}",
        "landings[0].deep_link_hosts": "loans.example",
        "landing_default": "0",
        "caps[0].period": "daily",
        "caps[0].metric": "conversions",
        "caps[0].limit": "50",
        "caps[0].scope": "shared",
        "promo_materials[0].kind": "text",
        "promo_materials[0].name": "Teaser",
        "promo_materials[0].content": "Money in 5 minutes",
    }


async def _count(world: World) -> int:
    return int(await Offer.count().where(Offer.network == world.network_id))


async def test_the_list_shows_every_offer_with_its_status(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    page = await adv.get("/ui/adv/offers")
    assert page.status_code == 200
    text = page_text(page.text)
    assert f"Draft {world.tag}" in text and f"Offer {world.tag} public" in text
    assert "Live" in text and "Draft" in text
    drafts = page_text((await adv.get("/ui/adv/offers?status=draft")).text)
    assert f"Draft {world.tag}" in drafts and f"Offer {world.tag} public" not in drafts


async def test_create_an_offer_with_its_lists(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    form = (await adv.get("/ui/adv/offers/new")).text
    for name in ("name", "goals[0].key", "landings[0].url_template", "targeting.countries", "caps[0].limit"):
        assert f'name="{name}"' in form, name
    before = await _count(world)
    assert (await adv.post("/ui/adv/offers/new", _new_offer(world.tag), csrf=None)).status_code == 403
    assert await _count(world) == before
    done = await adv.post(
        "/ui/adv/offers/new",
        {**_new_offer(world.tag), "targeting.devices": "mobile"},
    )
    assert done.status_code == 303, page_text(done.text)
    offer_id = int(re.findall(r"/ui/adv/offers/(\d+)", done.headers["location"])[0])
    offer = await offers.get_offer(world.principals["advertiser"], offer_id)
    assert offer.status == "draft" and offer.currency == "EUR" and offer.visibility == "approval_required"
    assert offer.targeting.countries == ["DE", "AT"] and offer.targeting.devices == ["mobile"]
    assert [g.key for g in offer.goals] == ["loan"] and offer.landings[0].deep_link_hosts == ["loans.example"]
    assert offer.caps[0].limit == "50" and offer.promo_materials[0].content == "Money in 5 minutes"
    assert offer.allowed_sources == ["social", "context"] and offer.cap_policy == "hold"
    page = await adv.get(done.headers["location"])
    assert "The offer was created as a draft." in page_text(page.text)
    assert 'value="https://loans.example/?cid={click_id}&amp;s={sub1}"' in page.text


async def test_errors_are_shown_next_to_their_field(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    before = await _count(world)
    bad_url = await adv.post(
        "/ui/adv/offers/new", {**_new_offer(world.tag), "landings[0].url_template": "ftp://x"}
    )
    assert bad_url.status_code == 422
    assert field_error(bad_url.text, "landings-0-url_template") is not None
    no_goal = await adv.post(
        "/ui/adv/offers/new", {**_new_offer(world.tag), "goals[0].key": "", "goals[0].name": ""}
    )
    assert no_goal.status_code == 422 and field_error(no_goal.text, "goals-0-name") == "Add at least one."
    bad_key = await adv.post("/ui/adv/offers/new", {**_new_offer(world.tag), "goals[0].key": "Bad Key"})
    assert field_error(bad_key.text, "goals-0-key") == "This value is not valid."
    bad_country = await adv.post(
        "/ui/adv/offers/new", {**_new_offer(world.tag), "targeting.countries": "Germany"}
    )
    assert field_error(bad_country.text, "targeting-countries") == "This value is not valid."
    no_name = await adv.post("/ui/adv/offers/new", {**_new_offer(world.tag), "name": ""})
    assert field_error(no_name.text, "name") is not None
    assert 'value="Loan issued"' in no_name.text  # what was typed is kept
    assert await _count(world) == before


async def test_edit_and_submit_for_moderation(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    draft = world.offers["draft"]
    page = await adv.get(f"/ui/adv/offers/{draft}")
    assert page.status_code == 200 and 'id="move-pending"' in page.text
    assert 'name="goals[0].key" type="text" value="lead"' in page.text
    form = {k: v for k, v in _new_offer(world.tag).items() if k != "currency"}
    form.update(name="Renamed draft", visibility="public")
    assert (await adv.post(f"/ui/adv/offers/{draft}", form, csrf="nope")).status_code == 403
    saved = await adv.post(f"/ui/adv/offers/{draft}", form)
    assert (
        saved.status_code == 303
        and saved.headers["location"] == f"/ui/adv/offers/{draft}?done=adv_offer_saved"
    )
    offer = await offers.get_offer(world.principals["advertiser"], draft)
    assert (
        offer.name == "Renamed draft" and offer.currency == "USD" and [g.key for g in offer.goals] == ["loan"]
    )
    assert (await adv.post(f"/ui/adv/offers/{draft}/status", {"to": "pending"}, csrf=None)).status_code == 403
    submitted = await adv.post(f"/ui/adv/offers/{draft}/status", {"to": "pending"})
    assert submitted.status_code == 303
    assert (await offers.get_offer(world.principals["advertiser"], draft)).status == "pending"
    text = page_text((await adv.get(submitted.headers["location"])).text)
    assert "The offer was sent to the network's staff for moderation." in text and "In moderation" in text
    # An advertiser cannot approve its own offer.
    refused = await adv.post(f"/ui/adv/offers/{draft}/status", {"to": "active"})
    assert refused.status_code == 403
    assert (await offers.get_offer(world.principals["advertiser"], draft)).status == "pending"


async def test_other_roles_get_403(client: Client, world: World) -> None:
    for role in ("webmaster", "staff"):
        session = await browser(client, world, role)
        for path in ("/ui/adv/offers", "/ui/adv/offers/new", f"/ui/adv/offers/{world.offers['draft']}"):
            assert (await session.get(path)).status_code == 403, (role, path)


async def test_in_russian(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    await adv.get("/ui/lang/ru")
    for path in ("/ui/adv/offers", "/ui/adv/offers/new", f"/ui/adv/offers/{world.offers['draft']}"):
        _assert_russian((await adv.get(path)).text, path)
    refused = await adv.post("/ui/adv/offers/new", {**_new_offer(world.tag), "goals[0].key": "Bad Key"})
    assert field_error(refused.text, "goals-0-key") == RU("err.invalid_value")
    _assert_russian(refused.text, "refused")


async def test_the_schedule_is_shown_kept_changed_and_cleared_in_the_form(
    client: Client, world: World
) -> None:
    adv = await browser(client, world, "advertiser")
    draft = world.offers["draft"]
    schedule = Schedule(timezone="Europe/Berlin", hours={"mon": [9, 10, 11, 14], "sat": list(range(24))})
    principal = world.principals["advertiser"]
    current = await offers.get_offer(principal, draft)
    targeting = Targeting(
        countries=current.targeting.countries, devices=current.targeting.devices, schedule=schedule
    )
    await offers.update_offer(principal, draft, OfferUpdate(targeting=targeting))
    page = await adv.get(f"/ui/adv/offers/{draft}")
    assert 'name="targeting.schedule.hours.mon" type="text" value="9-12, 14-15"' in page.text
    assert 'name="targeting.schedule.hours.sat" type="text" value="0-24"' in page.text
    assert 'name="targeting.schedule.hours.tue" type="text" value=""' in page.text
    assert 'name="targeting.schedule.timezone" type="text" value="Europe/Berlin"' in page.text

    form = {k: v for k, v in _new_offer(world.tag).items() if k != "currency"}
    shown = {
        "targeting.schedule.timezone": "Europe/Berlin",
        "targeting.schedule.hours.mon": "9-12, 14-15",
        "targeting.schedule.hours.sat": "0-24",
    }
    assert (await adv.post(f"/ui/adv/offers/{draft}", {**form, **shown})).status_code == 303
    saved = await offers.get_offer(principal, draft)
    assert saved.targeting.schedule == schedule and saved.targeting.countries == ["DE", "AT"]

    # Weekdays 9 to 18 in the network's zone when the zone is left empty.
    weekdays = {f"targeting.schedule.hours.{d}": "9-18" for d in ("mon", "tue", "wed", "thu", "fri")}
    assert (await adv.post(f"/ui/adv/offers/{draft}", {**form, **weekdays})).status_code == 303
    changed = (await offers.get_offer(principal, draft)).targeting.schedule
    assert changed is not None and changed.timezone == await _network_zone(world)
    assert changed.hours == {d: list(range(9, 18)) for d in ("mon", "tue", "wed", "thu", "fri")}

    wrong = await adv.post(f"/ui/adv/offers/{draft}", {**form, "targeting.schedule.hours.wed": "18-9"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "targeting-schedule-hours-wed") == HOURS_INVALID
    zone = await adv.post(
        f"/ui/adv/offers/{draft}",
        {**form, "targeting.schedule.timezone": "Mars/Olympus", "targeting.schedule.hours.mon": "9-18"},
    )
    assert zone.status_code == 422 and field_error(zone.text, "targeting-schedule-timezone")
    assert (await offers.get_offer(principal, draft)).targeting.schedule == changed  # refused: unchanged

    # Every day empty: no schedule any more.
    assert (await adv.post(f"/ui/adv/offers/{draft}", form)).status_code == 303
    assert (await offers.get_offer(principal, draft)).targeting.schedule is None


async def test_a_new_offer_can_have_a_schedule(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    form = {
        **_new_offer(world.tag),
        "targeting.schedule.hours.sun": "10-14",
        "targeting.schedule.timezone": "UTC",
    }
    created = await adv.post("/ui/adv/offers/new", form)
    assert created.status_code == 303
    offer_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    schedule = (await offers.get_offer(world.principals["advertiser"], offer_id)).targeting.schedule
    assert schedule == Schedule(timezone="UTC", hours={"sun": [10, 11, 12, 13]})
    bad = await adv.post(
        "/ui/adv/offers/new", {**_new_offer(world.tag), "targeting.schedule.hours.sun": "noon"}
    )
    assert bad.status_code == 422 and field_error(bad.text, "targeting-schedule-hours-sun")


async def _network_zone(world: World) -> str:
    row = await Network.select(Network.timezone).where(Network.id == world.network_id).first()
    assert row is not None
    return str(row["timezone"])
