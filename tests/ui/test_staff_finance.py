"""Staff finance: withdrawals approved into a payout batch or rejected with a reason, the batch exported as
CSV and marked paid, with the request-to-paid time shown."""

from __future__ import annotations

import re

import pytest

from network.ledger.tables import PayoutBatch, Withdrawal
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import Browser, browser, conversion, field_error, page_text

pytestmark = pytest.mark.sqlite_only


async def _withdraw(client: Client, world: World, amount: str) -> int:
    wm = await browser(client, world, "webmaster")
    done = await wm.post("/ui/wm/withdrawals", {"amount": amount, "details": "IBAN DE00 1234"})
    assert done.status_code == 303
    row = (
        await Withdrawal.select(Withdrawal.id)
        .where(Withdrawal.network == world.network_id)
        .order_by(Withdrawal.id, ascending=False)
        .first()
    )
    assert row is not None
    return int(row["id"])


async def _status(withdrawal_id: int) -> tuple[str, str]:
    row = (await Withdrawal.select().where(Withdrawal.id == withdrawal_id))[0]
    return row["status"], row["reason"]


async def _staff(client: Client, world: World) -> Browser:
    return await browser(client, world, "staff")


@pytest.mark.parametrize("role", ["staff", "network_admin"])
async def test_finance_renders_with_an_empty_state(client: Client, world: World, role: str) -> None:
    session = await browser(client, world, role)
    page = await session.get("/ui/staff/finance")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "No withdrawals with the status “Requested”." in text
    assert "No payout batches yet." in text
    assert 'href="/ui/staff/finance"' in page.text


async def test_other_roles_are_refused(client: Client, world: World) -> None:
    await conversion(client, world, "FIN-0")
    withdrawal = await _withdraw(client, world, "2.00")
    for role in ("webmaster", "advertiser"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/staff/finance")).status_code == 403
        assert (await session.get("/ui/staff/finance/batches/1/csv")).status_code == 403
        path = f"/ui/staff/finance/withdrawals/{withdrawal}/approve"
        assert (await session.post(path, {})).status_code == 403
    assert (await _status(withdrawal))[0] == "requested"


async def test_approve_export_and_pay_a_batch(client: Client, world: World) -> None:
    await conversion(client, world, "FIN-1")
    withdrawal = await _withdraw(client, world, "4.00")
    staff = await _staff(client, world)
    page = await staff.get("/ui/staff/finance")
    assert f'<tr id="withdrawal-{withdrawal}">' in page.text and "$4.00" in page_text(page.text)
    path = f"/ui/staff/finance/withdrawals/{withdrawal}/approve"
    for token in (None, "forged"):
        assert (await staff.post(path, {"status": "requested"}, csrf=token)).status_code == 403
    assert (await _status(withdrawal))[0] == "requested"
    done = await staff.post(path, {"status": "requested"})
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/staff/finance?status=requested&done=staff_withdrawal_approved"
    assert (await _status(withdrawal))[0] == "approved"
    batch = (await PayoutBatch.select().where(PayoutBatch.network == world.network_id))[0]
    text = page_text((await staff.get(done.headers["location"])).text)
    assert "The withdrawal was approved and added to the open payout batch." in text
    assert f"Batch #{batch['id']}" in text and "Open" in text
    # Approving again: refused next to the row, nothing changes.
    again = await staff.post(path, {"status": "approved"})
    assert again.status_code == 409
    assert "This change is not possible from the current status." in page_text(again.text)
    csv = await staff.get(f"/ui/staff/finance/batches/{batch['id']}/csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "4.00" in csv.text and "IBAN DE00 1234" in csv.text
    pay = f"/ui/staff/finance/batches/{batch['id']}/paid"
    assert (await staff.post(pay, {}, csrf=None)).status_code == 403
    assert (await _status(withdrawal))[0] == "approved"
    paid = await staff.post(pay, {})
    assert paid.status_code == 303 and paid.headers["location"].endswith("done=staff_batch_paid")
    assert (await _status(withdrawal))[0] == "paid"
    html = (await staff.get(paid.headers["location"])).text
    text = page_text(html)
    assert "The payout batch was marked paid." in text
    assert "Request-to-paid time per batch (median)" in text and "<svg" in html
    assert re.search(r"\d+ min", text)  # the request-to-paid time of the paid withdrawal
    # Paying an already paid batch is refused with a message.
    twice = await staff.post(pay, {})
    assert twice.status_code == 409


async def test_rejecting_needs_a_reason_shown_next_to_the_field(client: Client, world: World) -> None:
    await conversion(client, world, "FIN-2")
    withdrawal = await _withdraw(client, world, "3.00")
    staff = await browser(client, world, "network_admin")
    path = f"/ui/staff/finance/withdrawals/{withdrawal}/reject"
    assert (await staff.post(path, {"reason": "Wrong IBAN"}, csrf=None)).status_code == 403
    empty = await staff.post(path, {"reason": "  ", "status": "requested"})
    assert empty.status_code == 422
    assert field_error(empty.text, f"w{withdrawal}-reason") == "This field is required."
    assert (await _status(withdrawal))[0] == "requested"
    done = await staff.post(path, {"reason": "Wrong IBAN", "status": "requested"})
    assert done.status_code == 303
    assert await _status(withdrawal) == ("rejected", "Wrong IBAN")
    wm = await browser(client, world, "webmaster")
    text = page_text((await wm.get("/ui/wm/balance")).text)
    assert "Available\n$10.00" in text
