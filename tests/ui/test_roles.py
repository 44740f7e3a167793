"""Every page enforces its role on the server: another role's session gets a friendly 403 page."""

from __future__ import annotations

import pytest

from network.accounts import service as accounts
from network.accounts.schemas import StatusChange
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, page_text

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only


ADVERTISER_PAGES = [
    "/ui/adv/conversions",
    "/ui/adv",
    "/ui/adv/access",
    "/ui/adv/balance",
    "/ui/adv/offers",
    "/ui/adv/offers/new",
    "/ui/adv/postbacks",
]
STAFF_PAGES = [
    "/ui/staff/moderation",
    "/ui/staff",
    "/ui/staff/moderation/access",
    "/ui/staff/conversions",
    "/ui/staff/fraud",
    "/ui/staff/lists",
    "/ui/staff/finance",
    "/ui/staff/users",
    "/ui/staff/settings",
    "/ui/staff/audit",
]
WEBMASTER_PAGES = [
    "/ui/wm",
    "/ui/wm/offers",
    "/ui/wm/my-offers",
    "/ui/wm/conversions",
    "/ui/wm/stats",
    "/ui/wm/stats.csv",
    "/ui/wm/balance",
    "/ui/wm/postbacks",
    "/ui/wm/referrals",
    "/ui/wm/profile",
]


async def test_webmaster_gets_403_on_advertiser_and_staff_pages(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    for path in ADVERTISER_PAGES + STAFF_PAGES:
        response = await wm.get(path)
        assert response.status_code == 403, path
        assert response.headers["content-type"].startswith("text/html")
        text = page_text(response.text)
        assert "Not allowed" in text and "you are signed in as a webmaster" in text
        assert 'href="/ui/wm"' in response.text  # a way back to their own cabinet


async def test_webmaster_forms_to_other_cabinets_are_refused_before_anything_happens(
    client: Client, world: World
) -> None:
    wm = await browser(client, world, "webmaster")
    posts = [
        ("/ui/adv/conversions/1/decision", {"to": "approved"}),
        (f"/ui/staff/offers/{world.offers['draft']}/decision", {"decision": "approve", "reason": "x"}),
        (f"/ui/staff/webmasters/{world.other_webmaster_id}/decision", {"decision": "approve", "reason": "x"}),
    ]
    for path, data in posts:
        response = await wm.post(path, data)
        assert response.status_code == 403, path


async def test_a_banned_webmaster_is_told_why(client: Client, world: World) -> None:
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    await accounts.set_webmaster_status(
        world.principals["staff"],
        world.other_webmaster_id,
        StatusChange(status="banned", reason="Cookie stuffing"),
    )
    response = await other.get("/ui/wm")
    assert response.status_code == 403
    assert "This account is banned: Cookie stuffing" in page_text(response.text)
    # The log-in page still opens for them.
    assert (await other.get("/ui/login")).status_code == 200


@pytest.mark.parametrize("role", ["advertiser", "staff", "network_admin"])
async def test_other_roles_get_403_on_webmaster_pages(client: Client, world: World, role: str) -> None:
    session = await browser(client, world, role)
    for path in WEBMASTER_PAGES:
        assert (await session.get(path)).status_code == 403, (role, path)


async def test_advertiser_gets_403_on_staff_pages_and_staff_on_advertiser_pages(
    client: Client, world: World
) -> None:
    adv = await browser(client, world, "advertiser")
    for path in STAFF_PAGES:
        assert (await adv.get(path)).status_code == 403
    staff = await browser(client, world, "staff")
    for path in ADVERTISER_PAGES:
        assert (await staff.get(path)).status_code == 403


async def test_every_ui_route_declares_who_may_open_it(client: Client) -> None:
    """A page without an access rule would be refused to everyone (fail closed); none may be missing, and
    none is in the API's OpenAPI schema."""
    for route in client.app.routes:
        if not route.path.startswith("/ui") or route.path.startswith("/ui/static"):
            continue
        for handler in route.route_handlers:
            if handler.http_methods == {"OPTIONS"}:
                continue  # litestar's own preflight answer: no page, and ui_guard refuses it anyway
            assert handler.opt.get("ui_access") is not None, route.path
            assert handler.opt.get("exclude_from_auth") is True, route.path
    paths = client.app.openapi_schema.paths or {}
    assert not [p for p in paths if p.startswith("/ui")]


async def test_stylesheet_is_served_without_a_session(client: Client) -> None:
    response = await client.get("/ui/static/ui.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "http://" not in response.text and "https://" not in response.text  # nothing from a CDN
