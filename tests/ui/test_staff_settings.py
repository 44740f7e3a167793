"""Staff settings: the network and its money policy, readable by staff, editable by a network admin."""

from __future__ import annotations

import pytest

from network.conversions import policy
from network.tenants import service as tenants
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, field_error, page_text

pytestmark = pytest.mark.sqlite_only

FINANCE = {
    "referral_shares-1": "5",
    "referral_shares-2": "2.5",
    "min_withdrawal": "50",
    "balance_gate": "pause_offer",
    "attribution_grace_seconds": "900",
    "outgoing_pause_after": "10",
    "outgoing_max_attempts": "5",
}


async def test_staff_read_and_cannot_change(client: Client, world: World) -> None:
    staff = await browser(client, world, "staff")
    page = await staff.get("/ui/staff/settings")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "Only a network admin can change them." in text and f"Network {world.tag}" in text
    assert "No referral programme" in text and "Hold the conversion for review" in text
    assert '<form method="post" action="/ui/staff/settings/finance"' not in page.text
    assert (await staff.post("/ui/staff/settings/finance", FINANCE)).status_code == 403
    assert (await staff.post("/ui/staff/settings/network", {"name": "Taken over"})).status_code == 403
    found, _ = await policy.load(world.network_id)
    assert found.referral_shares == [] and found.balance_gate == "hold"


async def test_other_roles_are_refused(client: Client, world: World) -> None:
    for role in ("webmaster", "advertiser"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/staff/settings")).status_code == 403
        assert (await session.post("/ui/staff/settings/finance", FINANCE)).status_code == 403


async def test_admin_saves_the_money_policy(client: Client, world: World) -> None:
    admin = await browser(client, world, "network_admin")
    page = await admin.get("/ui/staff/settings")
    assert 'name="referral_shares-1"' in page.text and 'name="balance_gate"' in page.text
    assert (await admin.post("/ui/staff/settings/finance", FINANCE, csrf=None)).status_code == 403
    assert (await policy.load(world.network_id))[0].referral_shares == []
    done = await admin.post("/ui/staff/settings/finance", FINANCE)
    assert done.status_code == 303 and done.headers["location"].endswith("done=staff_finance_saved")
    found, _ = await policy.load(world.network_id)
    assert found.referral_shares == ["5", "2.5"] and found.balance_gate == "pause_offer"
    assert found.min_withdrawal == "50" and found.attribution_grace_seconds == 900
    html = (await admin.get(done.headers["location"])).text
    assert "The money policy was saved" in page_text(html)
    assert 'id="f-referral_shares-2" name="referral_shares-2" type="text" value="2.5"' in html


async def test_errors_sit_next_to_their_field(client: Client, world: World) -> None:
    admin = await browser(client, world, "network_admin")
    gap = await admin.post("/ui/staff/settings/finance", {**FINANCE, "referral_shares-1": ""})
    assert gap.status_code == 422
    assert field_error(gap.text, "referral_shares-1") == (
        "Fill the levels in order: a level cannot be empty while a higher one has a share."
    )
    bad = await admin.post("/ui/staff/settings/finance", {**FINANCE, "outgoing_max_attempts": "many"})
    assert bad.status_code == 422
    assert field_error(bad.text, "outgoing_max_attempts") is not None
    assert (await policy.load(world.network_id))[0].referral_shares == []
    zone = await admin.post(
        "/ui/staff/settings/network",
        {"name": "N", "tracking_host": f"t-{world.tag}.example", "timezone": "Mars/Base", "currency": "USD"},
    )
    assert zone.status_code == 422
    assert field_error(zone.text, "timezone") is not None
    empty = await admin.post("/ui/staff/settings/network", {"name": ""})
    assert empty.status_code == 422 and field_error(empty.text, "name") == "This field is required."


async def test_admin_renames_the_network(client: Client, world: World) -> None:
    admin = await browser(client, world, "network_admin")
    form = {
        "name": "Renamed",
        "tracking_host": f"t-{world.tag}.example",
        "timezone": "Europe/Moscow",
        "currency": "USD",
        "trafficback_url": "",
    }
    done = await admin.post("/ui/staff/settings/network", form)
    assert done.status_code == 303, done.text
    network = await tenants.get_network(world.principals["network_admin"])
    assert network.name == "Renamed" and network.timezone == "Europe/Moscow"
