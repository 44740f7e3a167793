"""The advertiser's access requests: approve, or decline with a reason the webmaster reads."""

from __future__ import annotations

import pytest

from network.offers.tables import OfferAccess
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, field_error, page_text
from tests.ui.test_i18n import RU, _assert_russian

pytestmark = pytest.mark.sqlite_only


async def _state(world: World, offer: str, webmaster_id: int) -> tuple[str, str]:
    row = (
        await OfferAccess.select(OfferAccess.status, OfferAccess.reason)
        .where(
            (OfferAccess.network == world.network_id)
            & (OfferAccess.offer == world.offers[offer])
            & (OfferAccess.webmaster == webmaster_id)
        )
        .first()
    )
    assert row is not None
    return row["status"], row["reason"]


def _path(world: World) -> str:
    return f"/ui/adv/access/{world.offers['approval_required']}/{world.other_webmaster_id}/decision"


async def test_the_requests_page_lists_the_waiting_request(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    page = await adv.get("/ui/adv/access")
    assert page.status_code == 200
    key = f"{world.offers['approval_required']}-{world.other_webmaster_id}"
    assert f'id="request-{key}"' in page.text and f'action="{_path(world)}"' in page.text
    text = page_text(page.text)
    assert "me too" in text and f"Offer {world.tag} approval_required" in text
    assert 'name="decision" value="approve"' in page.text and ">Approve</button>" in page.text
    assert ">Decline</button>" in page.text and 'name="reason"' in page.text
    # The request already approved by the world is not waiting any more.
    assert f"request-{world.offers['approval_required']}-{world.webmaster_id}" not in page.text


async def test_other_roles_get_403(client: Client, world: World) -> None:
    for role in ("webmaster", "staff", "network_admin"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/adv/access")).status_code == 403, role
        assert (await session.post(_path(world), {"decision": "approve"})).status_code == 403, role
    assert await _state(world, "approval_required", world.other_webmaster_id) == ("requested", "")


async def test_a_decision_needs_the_csrf_token(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    for token in (None, "wrong", adv.csrf[:-1]):
        refused = await adv.post(_path(world), {"decision": "approve"}, csrf=token)
        assert refused.status_code == 403, token
    assert await _state(world, "approval_required", world.other_webmaster_id) == ("requested", "")
    done = await adv.post(_path(world), {"decision": "approve"})
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/adv/access?done=adv_access_approved"
    assert await _state(world, "approval_required", world.other_webmaster_id) == ("approved", "")
    after = await adv.get(done.headers["location"])
    text = page_text(after.text)
    assert "The webmaster can now send traffic to the offer." in text
    assert "No requests are waiting for your decision." in text


async def test_a_decline_needs_a_reason_shown_next_to_the_field(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    key = f"{world.offers['approval_required']}-{world.other_webmaster_id}"
    refused = await adv.post(_path(world), {"decision": "decline", "reason": ""})
    assert refused.status_code == 422
    assert field_error(refused.text, f"reason-{key}") == "Write a reason: the other side reads it."
    assert await _state(world, "approval_required", world.other_webmaster_id) == ("requested", "")
    done = await adv.post(_path(world), {"decision": "decline", "reason": "Only finance traffic, please"})
    assert done.status_code == 303
    assert await _state(world, "approval_required", world.other_webmaster_id) == (
        "declined",
        "Only finance traffic, please",
    )
    # Deciding again: the request is no longer waiting; the page says so instead of failing.
    again = await adv.post(_path(world), {"decision": "approve"})
    assert again.status_code == 409
    assert "This change is not possible from the current status." in page_text(again.text)


async def test_the_page_in_russian(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    assert (await adv.get("/ui/lang/ru")).status_code == 303
    text = _assert_russian((await adv.get("/ui/adv/access")).text, "access")
    assert RU("adv.access.title") in text and RU("adv.access.approve") in text
    refused = await adv.post(_path(world), {"decision": "decline"})
    _assert_russian(refused.text, "access refused")
    await adv.post(_path(world), {"decision": "approve"})
    empty = _assert_russian((await adv.get("/ui/adv/access?done=adv_access_approved")).text, "empty")
    assert RU("adv.access.none") in empty and RU("notice.adv_access_approved") in empty
