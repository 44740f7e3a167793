"""Staff block lists in the console: from a fraud case to a blocked address, applied to the next real click
through the tracking link, and taken off the list again, each step with a reason."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from admin_ui.i18n import Translator
from fastpath.reasons import FraudFlag
from network.lists.tables import TrafficListEntry
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, field_error, page_text, tracked_click
from tests.ui.test_staff_fraud import _bot_click

pytestmark = pytest.mark.sqlite_only

EN = Translator("en")
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


async def _browser_click(client: Client, world: World, ip: str) -> dict[str, Any]:
    return await tracked_click(client, world, ip=ip, user_agent=CHROME, sub1="s")


async def test_from_a_fraud_case_to_a_blocked_address_and_back(client: Client, world: World) -> None:
    await _bot_click(client, world, "93.4.4.4", "placement-x")
    staff = await browser(client, world, "staff")
    fraud = await staff.get("/ui/staff/fraud?days=1")
    assert fraud.status_code == 200 and EN("staff.fraud.block_ip") in page_text(fraud.text)
    link = next(
        part.split('"')[0]
        for part in fraud.text.split('href="')
        if part.startswith("/ui/staff/lists?") and "ip" in part
    )
    form = await staff.get(unquote(link.replace("&amp;", "&")).split("#")[0])
    assert form.status_code == 200 and 'value="93.4.4.4"' in form.text
    assert '<option value="ip" selected>' in form.text

    before = await _browser_click(client, world, "93.4.4.4")
    assert not before["fraud_flags"] & FraudFlag.BLOCKED_IP

    refused = await staff.post(
        "/ui/staff/lists", {"kind": "ip", "action": "block", "value": "93.4.4.4"}, csrf=None
    )
    assert refused.status_code == 403
    no_reason = await staff.post(
        "/ui/staff/lists", {"kind": "ip", "action": "block", "value": "93.4.4.4", "reason": ""}
    )
    assert no_reason.status_code == 422 and field_error(no_reason.text, "reason-add") == EN("err.required")
    bad = await staff.post(
        "/ui/staff/lists", {"kind": "ip", "action": "block", "value": "93.4.4", "reason": "x"}
    )
    assert bad.status_code == 422 and field_error(bad.text, "f-value")
    added = await staff.post(
        "/ui/staff/lists",
        {"kind": "ip", "action": "block", "value": "93.4.4.0/24", "reason": "bot farm, case 1"},
    )
    assert added.status_code == 303
    page = await staff.get(added.headers["location"])
    assert EN("notice.staff_list_added") in page_text(page.text) and "93.4.4.0/24" in page_text(page.text)
    again = await staff.post(
        "/ui/staff/lists", {"kind": "ip", "action": "block", "value": "93.4.4.9/24", "reason": "dup"}
    )
    assert again.status_code == 409 and field_error(again.text, "f-value")

    after = await _browser_click(client, world, "93.4.4.77")
    assert after["valid"] is False and after["fraud_flags"] & FraudFlag.BLOCKED_IP

    entry = await TrafficListEntry.select().where(TrafficListEntry.network == world.network_id).first()
    assert entry is not None and entry["reason"] == "bot farm, case 1"
    empty = await staff.post(f"/ui/staff/lists/{entry['id']}/remove", {"reason": ""})
    assert empty.status_code == 422 and field_error(empty.text, f"reason-entry-{entry['id']}") == EN(
        "err.required"
    )
    removed = await staff.post(f"/ui/staff/lists/{entry['id']}/remove", {"reason": "the partner cleaned up"})
    assert removed.status_code == 303
    listed = await staff.get("/ui/staff/lists")
    assert EN("staff.lists.none") in page_text(listed.text)
    history = await staff.get("/ui/staff/lists?history=1")
    assert "the partner cleaned up" in page_text(history.text)
    clean = await _browser_click(client, world, "93.4.4.78")
    assert not clean["fraud_flags"] & FraudFlag.BLOCKED_IP


async def test_the_lists_are_staff_only(client: Client, world: World) -> None:
    for role in ("webmaster", "advertiser"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/staff/lists")).status_code == 403
        posted = await session.post(
            "/ui/staff/lists", {"kind": "ip", "action": "block", "value": "1.2.3.4", "reason": "x"}
        )
        assert posted.status_code == 403
    assert await TrafficListEntry.count().where(TrafficListEntry.network == world.network_id) == 0
