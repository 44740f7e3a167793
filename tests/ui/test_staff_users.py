"""Staff users: lists by role, ban and unban with a reason the account holder reads, API keys revoked."""

from __future__ import annotations

import pytest

from network.accounts.tables import Advertiser, ApiKey, Webmaster
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, field_error, page_text

pytestmark = pytest.mark.sqlite_only


async def _webmaster(webmaster_id: int) -> tuple[str, str]:
    row = (await Webmaster.select().where(Webmaster.id == webmaster_id))[0]
    return row["status"], row["status_reason"]


@pytest.mark.parametrize("role", ["staff", "network_admin"])
async def test_users_render_by_role(client: Client, world: World, role: str) -> None:
    session = await browser(client, world, role)
    page = await session.get("/ui/staff/users")
    assert page.status_code == 200
    text = page_text(page.text)
    assert f"wm-{world.tag}@example.com" in text and f"wm2-{world.tag}@example.com" in text
    assert "Ban…" in text and 'href="/ui/staff/users"' in page.text
    advertisers = page_text((await session.get("/ui/staff/users?role=advertiser")).text)
    assert f"adv-{world.tag}@example.com" in advertisers
    staff = page_text((await session.get("/ui/staff/users?role=staff")).text)
    assert f"staff-{world.tag}@example.com" in staff


async def test_other_roles_are_refused(client: Client, world: World) -> None:
    for role in ("webmaster", "advertiser"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/staff/users")).status_code == 403
        path = f"/ui/staff/users/webmasters/{world.other_webmaster_id}/status"
        assert (await session.post(path, {"status": "banned", "reason": "x"})).status_code == 403
    assert (await _webmaster(world.other_webmaster_id))[0] == "active"


async def test_ban_and_unban_need_the_token_and_a_reason(client: Client, world: World) -> None:
    staff = await browser(client, world, "staff")
    banned = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    path = f"/ui/staff/users/webmasters/{world.other_webmaster_id}/status"
    form = {"status": "banned", "reason": "Cookie stuffing", "role": "webmaster"}
    for token in (None, "forged"):
        assert (await staff.post(path, form, csrf=token)).status_code == 403
    assert (await _webmaster(world.other_webmaster_id))[0] == "active"
    empty = await staff.post(path, {**form, "reason": ""})
    assert empty.status_code == 422
    assert "This field is required." in page_text(empty.text)
    assert (await _webmaster(world.other_webmaster_id))[0] == "active"
    done = await staff.post(path, form)
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/staff/users?role=webmaster&done=staff_user_banned"
    assert await _webmaster(world.other_webmaster_id) == ("banned", "Cookie stuffing")
    text = page_text((await staff.get(done.headers["location"])).text)
    assert "The account was banned; its holder reads your reason." in text and "Unban…" in text
    # The webmaster reads why.
    assert "This account is banned: Cookie stuffing" in page_text((await banned.get("/ui/wm")).text)
    back = await staff.post(path, {"status": "active", "reason": "Appeal accepted", "role": "webmaster"})
    assert back.status_code == 303
    assert await _webmaster(world.other_webmaster_id) == ("active", "Appeal accepted")


async def test_an_advertiser_ban_error_sits_next_to_the_reason(client: Client, world: World) -> None:
    admin = await browser(client, world, "network_admin")
    path = f"/ui/staff/users/advertisers/{world.advertiser_id}/status"
    refused = await admin.post(path, {"status": "banned", "reason": " ", "role": "advertiser"})
    assert refused.status_code == 422
    html = refused.text
    assert any(
        field_error(html, f"u{uid}-reason") == "This field is required." for uid in world.user_ids.values()
    )
    done = await admin.post(path, {"status": "banned", "reason": "Unpaid invoices", "role": "advertiser"})
    assert done.status_code == 303
    row = (await Advertiser.select().where(Advertiser.id == world.advertiser_id))[0]
    assert (row["status"], row["status_reason"]) == ("banned", "Unpaid invoices")


async def test_api_keys_are_listed_and_revoked(client: Client, world: World) -> None:
    admin = await browser(client, world, "network_admin")
    page = await admin.get("/ui/staff/users")
    spare = world.spare_key_ids["webmaster"]
    assert f'<tr id="key-{spare}">' in page.text  # a network admin sees every key
    staff = await browser(client, world, "staff")
    staff_page = await staff.get("/ui/staff/users")
    assert f'<tr id="key-{spare}">' not in staff_page.text
    assert f'<tr id="key-{world.spare_key_ids["staff"]}">' in staff_page.text
    path = f"/ui/staff/users/keys/{spare}/revoke"
    assert (await admin.post(path, {}, csrf=None)).status_code == 403
    # Staff cannot revoke someone else's key: the service says it is not found.
    refused = await staff.post(path, {})
    assert refused.status_code == 404
    row = (await ApiKey.select().where(ApiKey.id == spare))[0]
    assert row["revoked_at"] is None
    # Another user's key: the admin writes why, and the owner reads it next to the key.
    assert f'id="key-reason-{spare}"' in page.text
    no_reason = await admin.post(path, {"role": "webmaster"})
    assert no_reason.status_code == 422 and "needs a reason" in page_text(no_reason.text)
    assert (await ApiKey.select().where(ApiKey.id == spare))[0]["revoked_at"] is None
    done = await admin.post(path, {"role": "webmaster", "reason": "leaked in a public repository"})
    assert done.status_code == 303 and done.headers["location"].endswith("done=staff_key_revoked")
    row = (await ApiKey.select().where(ApiKey.id == spare))[0]
    assert row["revoked_at"] is not None and row["revoked_reason"] == "leaked in a public repository"
    listed = page_text((await admin.get(done.headers["location"])).text)
    assert (
        "The API key was revoked: it no longer works." in listed and "leaked in a public repository" in listed
    )
    wm = await browser(client, world, "webmaster")
    profile = await wm.get("/ui/wm/profile")
    assert "by the network: leaked in a public repository" in page_text(profile.text)
    # One's own key needs no reason.
    own = world.spare_key_ids["network_admin"]
    assert f'id="key-reason-{own}"' not in page.text
    assert (await admin.post(f"/ui/staff/users/keys/{own}/revoke", {})).status_code == 303
