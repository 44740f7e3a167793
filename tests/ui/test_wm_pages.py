"""The webmaster's tool pages: my offers and the link builder, through real sessions and the same services as
the API."""

from __future__ import annotations

import html
import re

import pytest

from admin_ui.i18n import Translator
from network.tracking import service as tracking
from network.tracking.schemas import LinkRequest
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import Browser, browser, field_error, page_text
from tests.ui.test_i18n import _assert_russian

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only

EN, RU = Translator("en"), Translator("ru")


def element(page: str, element_id: str) -> str | None:
    """The text inside the element with this id (one without nested tags), unescaped."""
    match = re.search(rf'<(\w+)[^>]* id="{re.escape(element_id)}"[^>]*>([^<]*)</\1>', page)
    return html.unescape(match.group(2)) if match else None


def builder(world: World, offer: str = "public") -> str:
    return f"/ui/wm/offers/{world.offers[offer]}/links"


async def test_my_offers_lists_the_joined_offers_with_their_link_builder(
    client: Client, world: World
) -> None:
    wm = await browser(client, world, "webmaster")
    response = await wm.get("/ui/wm/my-offers")
    assert response.status_code == 200
    text = page_text(response.text)
    # Joined: the public offer and the approved one; the private offer is only an invitation so far.
    assert f"Offer {world.tag} public" in text and f"Offer {world.tag} approval_required" in text
    assert f"Offer {world.tag} private" not in text
    assert f'href="{builder(world)}"' in response.text
    assert f'href="{builder(world, "approval_required")}"' in response.text
    assert 'href="/ui/wm/my-offers" aria-current="page"' in response.text  # in the navigation


async def test_my_offers_empty_state_sends_to_the_catalogue(client: Client, world: World) -> None:
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    response = await other.get("/ui/wm/my-offers")
    assert response.status_code == 200
    assert EN("wm.my_offers.none") in page_text(response.text)
    assert 'href="/ui/wm/offers"' in response.text


async def test_offer_page_links_to_the_builder_once_joined(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    joined = await wm.get(f"/ui/wm/offers/{world.offers['public']}")
    assert f'href="{builder(world)}"' in joined.text
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    waiting = await other.get(f"/ui/wm/offers/{world.offers['approval_required']}")
    assert waiting.status_code == 200 and "/links" not in waiting.text


async def test_link_builder_form(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    response = await wm.get(builder(world))
    assert response.status_code == 200
    page = response.text
    assert (
        'name="landing_id"' in page
        and f'<option value="{world.landing_id}" selected>Main · #{world.landing_id} (default)' in page
    )
    for name in ("sub1", "sub5", "sub6", "sub10", "source"):
        assert f'name="{name}" type="text"' in page, name
        assert f'<label for="f-{name}">' in page, name
    assert 'name="_csrf"' in page
    assert "<details>" in page  # sub6..sub10 wait in a collapsed section
    assert 'id="link-cpanet"' not in page  # no links before the form is sent
    assert EN("wm.links.submit") in page_text(page)


async def test_link_builder_shows_every_dialect_and_what_each_drops(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    form = {"landing_id": str(world.landing_id), "source": "fb"}
    form |= {f"sub{i}": f"v{i}" for i in range(1, 8)}
    response = await wm.post(builder(world), form)
    assert response.status_code == 200, response.text[:2000]
    page = response.text
    expected = await tracking.create_links(
        world.principals["webmaster"],
        world.offers["public"],
        LinkRequest(landing_id=world.landing_id, source="fb", **{f"sub{i}": f"v{i}" for i in range(1, 8)}),
        client.app.state.settings.http.public_base_url,
    )
    for dialect in ("cpanet", "tune", "affise", "cake"):
        assert element(page, f"link-{dialect}") == getattr(expected, dialect).url, dialect
    assert "sub7=v7" in (element(page, "link-cpanet") or "")
    assert "aff_sub5=v5" in (element(page, "link-tune") or "")
    # TUNE and CAKE carry five sub ids; Affise eight and no source.
    assert element(page, "link-tune-dropped") == EN("wm.links.dropped", names="sub6, sub7")
    assert element(page, "link-affise-dropped") == EN("wm.links.dropped", names="source")
    assert element(page, "link-cake-dropped") == EN("wm.links.dropped", names="sub6, sub7, source")
    assert element(page, "link-cpanet-dropped") is None
    assert 'id="links-dropped"' in page
    # What was typed stays in the form, and the section with sub6..sub10 is open since it holds values.
    assert 'value="v7"' in page and "<details open>" in page


async def test_link_builder_without_dropped_sub_ids_has_no_warning(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    response = await wm.post(builder(world, "approval_required"), {"sub1": "a"})
    assert response.status_code == 200
    assert "s1=a" in (element(response.text, "link-cake") or "")
    assert 'id="links-dropped"' not in response.text


async def test_link_builder_refuses_a_form_without_its_csrf_token(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    for token in (None, "wrong"):
        response = await wm.post(builder(world), {"sub1": "a"}, csrf=token)
        assert response.status_code == 403
        assert 'id="link-cpanet"' not in response.text


async def test_link_builder_without_access_shows_the_refusal(client: Client, world: World) -> None:
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    path = builder(world, "approval_required")
    page = await other.get(path)
    assert page.status_code == 200 and EN("wm.links.not_joined") in page_text(page.text)
    refused = await other.post(path, {"sub1": "a"})
    assert refused.status_code == 409
    assert EN("wm.err.join_first") in page_text(refused.text)
    assert 'id="link-cpanet"' not in refused.text


async def test_link_builder_errors_next_to_the_landing_field(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    unknown = await wm.post(builder(world), {"landing_id": "999999"})
    assert unknown.status_code == 404
    assert field_error(unknown.text, "landing_id") == EN("wm.err.landing_unknown")
    nonsense = await wm.post(builder(world), {"landing_id": "abc"})
    assert nonsense.status_code == 422
    assert field_error(nonsense.text, "landing_id") == EN("err.invalid_value")
    too_long = await wm.post(builder(world), {"sub2": "x" * 300})
    assert too_long.status_code == 422 and field_error(too_long.text, "sub2") == EN("err.invalid_value")


@pytest.mark.parametrize("role", ["advertiser", "staff", "network_admin"])
async def test_other_roles_get_403(client: Client, world: World, role: str) -> None:
    session = await browser(client, world, role)
    for path in ("/ui/wm/my-offers", builder(world)):
        assert (await session.get(path)).status_code == 403, path
    assert (await session.post(builder(world), {"sub1": "a"})).status_code == 403


async def _russian(wm: Browser) -> None:
    assert (await wm.get("/ui/lang/ru")).status_code == 303


async def test_russian_link_pages_have_no_english_left(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    await _russian(wm)
    text = _assert_russian((await wm.get("/ui/wm/my-offers")).text, "my offers")
    assert RU("wm.my_offers.get_link") in text and RU("nav.my_offers") in text
    text = _assert_russian((await wm.get(builder(world))).text, "builder")
    assert RU("wm.links.submit") in text
    built = await wm.post(builder(world), {f"sub{i}": "x" for i in range(1, 7)})
    text = _assert_russian(built.text, "links")
    assert RU("wm.links.dialect_tune") in text and RU("wm.links.dropped", names="sub6") in text
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    await _russian(other)
    refused = await other.post(builder(world, "approval_required"), {"sub1": "a"})
    assert RU("wm.err.join_first") in _assert_russian(refused.text, "refused")
