"""Staff: withdrawals and payout batches. Approving a requested withdrawal puts it into the open payout
batch; a rejection needs a reason the webmaster reads; a batch is exported as CSV for the payment run and
then marked paid. The request-to-paid time is the network's promise to its webmasters, so it is shown for
every paid withdrawal and batch (network/ledger/service.py does all of it)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.response import Template

from admin_ui.forms import FormErrors, misplaced, required
from admin_ui.pages.params import Code, IdPath, Offset
from admin_ui.pages.staff_common import AnyRequest, UiDep, attempt, duration, hbars
from admin_ui.render import notice, redirect, render
from admin_ui.session import STAFF, UiContext, access, read_form
from admin_ui.views import pager
from network.ledger import service as ledger
from network.ledger.schemas import PayoutBatchDetailOut, RejectIn

PATH = "/ui/staff/finance"
TABS = ("requested", "approved", "paid", "rejected")
PAGE = 25
BATCHES = 10


async def _page(
    ui: UiContext,
    status: str | None,
    offset: int = 0,
    *,
    status_code: int = 200,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    principal = ui.require()
    counts = {
        tab: (
            await ledger.list_withdrawals(principal, status=tab, webmaster_id=None, limit=1, offset=0)
        ).total
        for tab in TABS
    }
    if status not in TABS:
        status = "requested"
    found = await ledger.list_withdrawals(
        principal, status=status, webmaster_id=None, limit=PAGE, offset=offset
    )
    batches = await ledger.list_batches(principal, status=None, limit=BATCHES, offset=0)
    details: list[PayoutBatchDetailOut] = [await ledger.get_batch(principal, b.id) for b in batches.items]
    paid = [b for b in reversed(details) if b.seconds_to_paid_median is not None]
    chart = hbars(
        [
            (
                ui.t("staff.fin.batch", id=b.id),
                float(b.seconds_to_paid_median or 0),
                duration(ui, b.seconds_to_paid_median),
            )
            for b in paid
        ]
    )
    return render(
        ui,
        "staff/finance.html",
        status_code=status_code,
        errors=errors,
        values=values,
        failed=failed,
        misplaced=misplaced(errors, failed, {f"withdrawal-{w.id}" for w in found.items} | {"batches"}),
        tabs=[(tab, counts[tab]) for tab in TABS],
        status=status,
        withdrawals=found.items,
        waits={w.id: duration(ui, w.seconds_to_paid) for w in found.items},
        batches=details,
        batch_waits={
            b.id: (duration(ui, b.seconds_to_paid_median), duration(ui, b.seconds_to_paid_max))
            for b in details
        },
        chart=chart if paid else None,
        pager=pager(found.total, PAGE, offset, PATH, {"status": status}),
        notice=notice(ui, done),
    )


class StaffFinancePages(Controller):
    path = "/staff/finance"
    opt = access(STAFF)

    @get("/")
    async def finance(
        self, ui: UiDep, status: Code = None, offset: Offset = 0, done: Code = None
    ) -> Template:
        """Withdrawals by status with their actions, and the latest payout batches."""
        return await _page(ui, status, offset, done=done)

    @post("/withdrawals/{withdrawal_id:int}/approve", status_code=200)
    async def approve(self, request: AnyRequest, ui: UiDep, withdrawal_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)
        tab = values.get("status")

        async def call() -> object:
            return await ledger.approve(ui.require(), withdrawal_id)

        _, status_code, errors = await attempt(ui, call)
        if errors:
            failed = f"withdrawal-{withdrawal_id}"
            return await _page(ui, tab, status_code=status_code, failed=failed, errors=errors)
        return redirect(PATH, status=tab or "", done="staff_withdrawal_approved")

    @post("/withdrawals/{withdrawal_id:int}/reject", status_code=200)
    async def reject(self, request: AnyRequest, ui: UiDep, withdrawal_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)
        tab = values.get("status")
        shown = {"reason": values.get("reason", "")}
        failed = f"withdrawal-{withdrawal_id}"
        errors = required(values, ui, "reason")
        if not errors:

            async def call() -> object:
                data = msgspec.convert({"reason": values["reason"]}, RejectIn)
                return await ledger.reject(ui.require(), withdrawal_id, data)

            _, status_code, errors = await attempt(ui, call)
        else:
            status_code = 422
        if errors:
            return await _page(ui, tab, status_code=status_code, failed=failed, errors=errors, values=shown)
        return redirect(PATH, status=tab or "", done="staff_withdrawal_rejected")

    @post("/batches/{batch_id:int}/paid", status_code=200)
    async def pay(self, request: AnyRequest, ui: UiDep, batch_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)

        async def call() -> object:
            return await ledger.pay_batch(ui.require(), batch_id)

        _, status_code, errors = await attempt(ui, call)
        if errors:
            return await _page(
                ui, values.get("status"), status_code=status_code, failed="batches", errors=errors
            )
        return redirect(PATH, status="paid", done="staff_batch_paid")

    @get("/batches/{batch_id:int}/csv")
    async def csv(self, ui: UiDep, batch_id: IdPath) -> Response[str]:
        """The batch's withdrawals as CSV for the payment run (the API's export)."""
        body = await ledger.batch_csv(ui.require(), batch_id)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="payout-batch-{batch_id}.csv"'},
        )
