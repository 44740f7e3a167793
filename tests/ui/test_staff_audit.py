"""Staff audit log viewer: filters by entity and actor, before -> after, reasons, pages; read only."""

from __future__ import annotations

import pytest

from network.accounts import service as accounts
from network.accounts.schemas import StatusChange
from network.audit import browse
from network.audit.tables import AuditEntry
from network.errors import PermissionDeniedError
from tests.support.client import Client
from tests.support.world import World, build_world
from tests.ui.support import browser, page_text

pytestmark = pytest.mark.sqlite_only


async def _ban(world: World) -> None:
    await accounts.set_webmaster_status(
        world.principals["staff"], world.other_webmaster_id, StatusChange(status="banned", reason="Bot farm")
    )


@pytest.mark.parametrize("role", ["staff", "network_admin"])
async def test_the_log_shows_who_what_before_after_and_why(client: Client, world: World, role: str) -> None:
    await _ban(world)
    session = await browser(client, world, role)
    page = await session.get("/ui/staff/audit")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "Bot farm" in text and "webmaster.status_changed" in text
    assert "<del>&#34;active&#34;</del>" in page.text and "<ins>&#34;banned&#34;</ins>" in page.text
    assert 'href="/ui/staff/audit"' in page.text
    # The page is a GET search form: no token, nothing to change.
    assert (
        'method="get"' in page.text and 'name="_csrf"' not in page.text.split("<main")[1].split("</form>")[0]
    )


async def test_filters_by_entity_and_actor(client: Client, world: World) -> None:
    await _ban(world)
    staff = await browser(client, world, "staff")
    staff_id = world.principals["staff"].user_id
    by_entity = page_text(
        (await staff.get(f"/ui/staff/audit?entity=webmaster&entity_id={world.other_webmaster_id}")).text
    )
    assert "Bot farm" in by_entity and "api_key.created" not in by_entity
    by_actor = page_text((await staff.get(f"/ui/staff/audit?actor={staff_id}")).text)
    assert "Bot farm" in by_actor
    admin_id = world.principals["network_admin"].user_id
    by_admin = page_text((await staff.get(f"/ui/staff/audit?actor={admin_id}&entity=webmaster")).text)
    assert "Bot farm" not in by_admin
    assert "Nothing matches these filters." in by_admin
    by_role = page_text((await staff.get("/ui/staff/audit?actor_role=staff&entity=webmaster")).text)
    assert "Bot farm" in by_role
    # An unknown entity is ignored rather than an error.
    assert (await staff.get("/ui/staff/audit?entity=nonsense")).status_code == 200


async def test_pages_and_tenant_isolation(client: Client, world: World) -> None:
    total = await AuditEntry.count().where(AuditEntry.network == world.network_id)
    staff = await browser(client, world, "staff")
    first = page_text((await staff.get("/ui/staff/audit")).text)
    assert f"of {total}" in first
    other = await build_world(client)
    await _ban(other)
    mine = await browse.entries(world.principals["staff"], entity="webmaster")
    assert all(e.reason != "Bot farm" for e in mine.items)
    with pytest.raises(PermissionDeniedError):
        await browse.entries(world.principals["webmaster"])


async def test_other_roles_are_refused(client: Client, world: World) -> None:
    for role in ("webmaster", "advertiser"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/staff/audit")).status_code == 403
