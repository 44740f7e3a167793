"""Staff: fraud cases. Invalid (fraud-flagged) clicks grouped by webmaster, sub id and IP address, with the
evidence (decoded fraud signals, counts, sample clicks) and the daily invalid share, from
network/tracking/fraud_cases.py. The actions: a ban of the webmaster, with a reason they read,
or blocking the case's IP or sub id on the block lists (staff_lists.py; the links fill in its form)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Template

from admin_ui.forms import FormErrors, misplaced, required
from admin_ui.pages.params import Code, IdPath
from admin_ui.pages.staff_common import AnyRequest, UiDep, attempt, hbars
from admin_ui.render import notice, redirect, render
from admin_ui.session import STAFF, UiContext, access, read_form
from network.accounts import service as accounts
from network.accounts.schemas import StatusChange
from network.tracking import fraud_cases

PATH = "/ui/staff/fraud"
PERIODS = (1, 7, 30)
Days = Annotated[int, QueryParameter(ge=1, le=fraud_cases.MAX_DAYS)]


async def _page(
    ui: UiContext,
    days: int = fraud_cases.DEFAULT_DAYS,
    *,
    status_code: int = 200,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    principal = ui.require()
    report = await fraud_cases.cases(principal, days=days)
    statuses = {}
    for webmaster_id in {c.webmaster_id for c in report.cases}:
        statuses[webmaster_id] = (await accounts.get_webmaster(principal, webmaster_id)).status
    chart = hbars(
        [
            (
                ui.fmt.day_short(d.day),
                float(d.invalid),
                ui.t(
                    "staff.fraud.day_share", invalid=ui.fmt.number(d.invalid), clicks=ui.fmt.number(d.clicks)
                ),
            )
            for d in report.daily
        ]
    )
    return render(
        ui,
        "staff/fraud.html",
        status_code=status_code,
        errors=errors,
        values=values,
        failed=failed,
        misplaced=misplaced(errors, failed, {f"case-{c.key}" for c in report.cases}),
        report=report,
        statuses=statuses,
        chart=chart,
        periods=PERIODS,
        days=report.days,
        signal_label=lambda code: ui.t.label("staff.fraud.signal", code),
        notice=notice(ui, done),
    )


class StaffFraudPages(Controller):
    path = "/staff/fraud"
    opt = access(STAFF)

    @get("/")
    async def fraud(self, ui: UiDep, days: Days = fraud_cases.DEFAULT_DAYS, done: Code = None) -> Template:
        """The largest fraud cases of the period, with their evidence and the ban form."""
        return await _page(ui, days, done=done)

    @post("/webmasters/{webmaster_id:int}/ban", status_code=200)
    async def ban(self, request: AnyRequest, ui: UiDep, webmaster_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)
        failed = f"case-{values.get('case', '')}"
        shown = {"reason": values.get("reason", "")}
        try:
            days = max(1, min(int(values.get("days", "")), fraud_cases.MAX_DAYS))
        except ValueError:
            days = fraud_cases.DEFAULT_DAYS
        errors = required(values, ui, "reason")
        if errors:
            return await _page(ui, days, status_code=422, failed=failed, errors=errors, values=shown)

        async def call() -> object:
            change = msgspec.convert({"status": "banned", "reason": values["reason"]}, StatusChange)
            return await accounts.set_webmaster_status(ui.require(), webmaster_id, change)

        _, status_code, errors = await attempt(ui, call)
        if errors:
            return await _page(ui, days, status_code=status_code, failed=failed, errors=errors, values=shown)
        return redirect(PATH, days=str(days), done="staff_fraud_banned")
