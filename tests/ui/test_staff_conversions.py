"""Staff: held and disputed conversions, decided with a reason code and words the webmaster reads."""

from __future__ import annotations

import re

import pytest

from network.audit.tables import AuditEntry
from network.conversions.tables import Conversion
from tests.support.client import Client
from tests.support.conversions import credential, fund, postback
from tests.support.world import World, build_world
from tests.ui.support import browser, conversion, field_error, page_text
from tests.ui.test_staff_fraud import _bot_click

pytestmark = pytest.mark.sqlite_only


async def _state(conversion_id: int) -> tuple[str, str, str]:
    row = (
        await Conversion.select(Conversion.status, Conversion.reason, Conversion.reason_detail).where(
            Conversion.id == conversion_id
        )
    )[0]
    return row["status"], row["reason"], row["reason_detail"]


def _row(html: str, conversion_id: int) -> str:
    match = re.search(rf'<tr id="conversion-{conversion_id}">(.*?)</tr>', html, re.S)
    assert match, conversion_id
    return match.group(1)


@pytest.mark.parametrize("role", ["staff", "network_admin"])
async def test_the_queue_renders_with_one_form_per_row(client: Client, world: World, role: str) -> None:
    pending = await conversion(client, world, "SC-1", status="pending")
    staff = await browser(client, world, role)
    page = await staff.get("/ui/staff/conversions?status=pending")
    assert page.status_code == 200
    row = _row(page.text, pending)
    assert f'action="/ui/staff/conversions/{pending}/decision"' in row
    assert row.count("<form") == 1 and 'name="_csrf"' in row
    for to, label in (("approved", "Approve"), ("hold", "Put on hold"), ("rejected", "Reject")):
        assert f'name="to" value="{to}"' in row and f">{label}</button>" in row
    assert 'name="reason"' in row and 'name="comment"' in row
    assert 'value="fraud_bot"' in row and "Bot traffic" in row
    assert 'href="/ui/staff/conversions"' in page.text  # the nav entry
    empty = page_text((await staff.get("/ui/staff/conversions?status=rejected")).text)
    assert "No conversions with the status “Rejected”." in empty


async def test_other_roles_are_refused(client: Client, world: World) -> None:
    pending = await conversion(client, world, "SC-2", status="pending")
    for role in ("webmaster", "advertiser"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/staff/conversions")).status_code == 403
        form = {"to": "approved", "comment": "x"}
        assert (await session.post(f"/ui/staff/conversions/{pending}/decision", form)).status_code == 403
    assert (await _state(pending))[0] == "pending"


async def test_decisions_need_the_token_and_a_written_reason(client: Client, world: World) -> None:
    pending = await conversion(client, world, "SC-3", status="pending")
    staff = await browser(client, world, "staff")
    path = f"/ui/staff/conversions/{pending}/decision"
    form = {"to": "rejected", "reason": "fraud_bot", "comment": "Headless browser", "status": "pending"}
    for token in (None, "forged"):
        assert (await staff.post(path, form, csrf=token)).status_code == 403
    assert (await _state(pending))[0] == "pending"
    no_words = await staff.post(path, {**form, "comment": " "})
    assert no_words.status_code == 422
    assert field_error(no_words.text, f"c{pending}-comment") == "Write a reason: the other side reads it."
    bad_code = await staff.post(path, {**form, "reason": "made_up"})
    assert bad_code.status_code == 422
    assert field_error(bad_code.text, f"c{pending}-reason") is not None
    assert (await _state(pending))[0] == "pending"
    done = await staff.post(path, form)
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/staff/conversions?status=pending&done=staff_conversion_rejected"
    assert await _state(pending) == ("rejected", "fraud_bot", "Headless browser")
    assert "The conversion was rejected." in page_text((await staff.get(done.headers["location"])).text)
    audit = await AuditEntry.select().where(
        (AuditEntry.network == world.network_id) & (AuditEntry.entity == "conversion")
    )
    assert any(a["reason"] == "Headless browser" and a["action"] == "conversion.rejected" for a in audit)
    # The webmaster reads the code and the words.
    wm = await browser(client, world, "webmaster")
    text = page_text((await wm.get("/ui/wm/conversions")).text)
    assert "Bot traffic" in text and "Headless browser" in text


async def test_staff_override_the_advertisers_rejection_and_hold_and_reverse(
    client: Client, world: World
) -> None:
    pending = await conversion(client, world, "SC-4", status="pending")
    adv = await browser(client, world, "advertiser")
    rejected = await adv.post(
        f"/ui/adv/conversions/{pending}/decision",
        {"to": "rejected", "reason": "duplicate_order", "comment": "Dup", "status": "pending"},
    )
    assert rejected.status_code == 303
    staff = await browser(client, world, "network_admin")
    row = _row((await staff.get("/ui/staff/conversions?status=rejected")).text, pending)
    assert "Duplicate order" in row and 'value="approved"' in row
    path = f"/ui/staff/conversions/{pending}/decision"
    steps = [
        ("approved", "manual", "Order confirmed by phone"),
        ("hold", "manual", "Re-check"),
        ("approved", "manual", "Checked"),
        ("reversed", "fraud_velocity", "Chargeback"),
    ]
    for to, reason, words in steps:
        done = await staff.post(path, {"to": to, "reason": reason, "comment": words})
        assert done.status_code == 303, (to, done.text)
        assert await _state(pending) == (to, reason, words)
    # A move the service refuses: shown on the page, nothing changes.
    refused = await staff.post(path, {"to": "hold", "reason": "manual", "comment": "again"})
    assert refused.status_code == 409
    assert "This change is not possible from the current status." in page_text(refused.text)
    assert (await _state(pending))[0] == "reversed"


async def test_flagged_conversions_have_their_own_tab(client: Client, world: World) -> None:
    clean = await conversion(client, world, "SC-5", status="pending")
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    bot_click = await _bot_click(client, world, "93.5.5.5", "placement-f")
    answer = await postback(client, token, click_id=bot_click, order_id="SC-6", sale_amount="40")
    assert answer.status_code == 200, answer.text
    from_bot = answer.json()["conversion_id"]
    assert from_bot is not None
    staff = await browser(client, world, "staff")
    page = await staff.get("/ui/staff/conversions?status=flagged")
    assert page.status_code == 200
    assert f'<tr id="conversion-{from_bot}">' in page.text
    assert f'<tr id="conversion-{clean}">' not in page.text
    assert "Flagged" in _row(page.text, from_bot)
    # A conversion rejected with a fraud reason code is flagged too, and can be decided from this tab.
    path = f"/ui/staff/conversions/{clean}/decision"
    form = {"to": "rejected", "reason": "fraud_velocity", "comment": "Burst", "status": "flagged"}
    done = await staff.post(path, form)
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/staff/conversions?status=flagged&done=staff_conversion_rejected"
    assert f'<tr id="conversion-{clean}">' in (await staff.get(done.headers["location"])).text
    empty = await browser(client, await build_world(client), "staff")
    assert "No flagged conversions." in page_text(
        (await empty.get("/ui/staff/conversions?status=flagged")).text
    )
