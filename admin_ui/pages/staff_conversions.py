"""Staff: held and disputed conversions. Approve, reject, put on hold again or reverse, each with a reason
code and the words the webmaster reads; approving a conversion the advertiser rejected is the staff override
(the service's staff transition table, network/conversions/lifecycle.py STAFF_MOVES)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.response import Template

from admin_ui.forms import FormErrors, misplaced
from admin_ui.pages.params import Code, IdPath, Offset
from admin_ui.pages.staff_common import AnyRequest, UiDep, attempt
from admin_ui.render import notice, redirect, render
from admin_ui.session import STAFF, UiContext, access, read_form
from admin_ui.views import pager
from network.conversions import flagged
from network.conversions import service as conversions
from network.conversions.schemas import ConversionOut, TransitionIn
from network.pagination import Page
from network.principal import Principal

PATH = "/ui/staff/conversions"
# Held and pending ones await a decision; rejected ones are where staff override the advertiser; approved
# ones can still be reversed or held again; flagged ones (not billable, or a fraud reason) in any status.
TABS = ("hold", "pending", "rejected", "approved", "flagged")
# The buttons per current status: the staff moves the page offers (lifecycle.STAFF_MOVES allows them).
ACTIONS: dict[str, tuple[str, ...]] = {
    "pending": ("approved", "hold", "rejected"),
    "hold": ("approved", "rejected"),
    "rejected": ("approved", "hold"),
    "approved": ("hold", "reversed"),
}
MOVES = frozenset(to for moves in ACTIONS.values() for to in moves)
# Reason codes (CONVENTIONS.md "Conversion statuses and reason codes"); ``manual`` is "decided by staff".
REASONS = (
    "manual",
    "advertiser_rejected",
    "duplicate_order",
    "fraud_bot",
    "fraud_datacenter",
    "fraud_velocity",
    "fraud_duplicate_click",
    "unknown_click",
    "click_expired",
    "below_min_ctct",
    "above_max_ctct",
    "cap_reached",
)
PAGE = 25


async def _list(principal: Principal, tab: str, *, limit: int, offset: int) -> Page[ConversionOut]:
    """A tab's conversions: by status, or every flagged one (not billable, or a fraud reason code)."""
    if tab == "flagged":
        return await flagged.flagged(principal, limit=limit, offset=offset)
    return await conversions.list_conversions(
        principal, status=tab, offer_id=None, date_from=None, date_to=None, limit=limit, offset=offset
    )


async def _page(
    ui: UiContext,
    status: str | None,
    offset: int = 0,
    *,
    status_code: int = 200,
    failed: int | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    principal = ui.require()
    counts = {}
    for tab in TABS:
        counts[tab] = (await _list(principal, tab, limit=1, offset=0)).total
    if status not in TABS:
        status = "hold" if counts["hold"] or not counts["pending"] else "pending"
    found = await _list(principal, status, limit=PAGE, offset=offset)
    return render(
        ui,
        "staff/conversions.html",
        status_code=status_code,
        errors=errors,
        values=values,
        failed=failed,
        misplaced=misplaced(errors, failed, {c.id for c in found.items}),
        tabs=[(tab, counts[tab]) for tab in TABS],
        status=status,
        conversions=found.items,
        actions=ACTIONS,
        reason_options=[(code, ui.t.label("reason", code)) for code in REASONS],
        pager=pager(found.total, PAGE, offset, PATH, {"status": status}),
        notice=notice(ui, done),
    )


class StaffConversionPages(Controller):
    path = "/staff/conversions"
    opt = access(STAFF)

    @get("/")
    async def queue(self, ui: UiDep, status: Code = None, offset: Offset = 0, done: Code = None) -> Template:
        """Conversions by status, each row with its decision form."""
        return await _page(ui, status, offset, done=done)

    @post("/{conversion_id:int}/decision", status_code=200)
    async def decide(self, request: AnyRequest, ui: UiDep, conversion_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)
        tab = values.get("status")
        to = values.get("to", "")
        shown = {k: values.get(k, "") for k in ("to", "reason", "comment")}

        async def again(status_code: int, errors: FormErrors) -> Template:
            return await _page(
                ui, tab, status_code=status_code, failed=conversion_id, errors=errors, values=shown
            )

        if to not in MOVES:
            return await again(422, FormErrors({}, [ui.t("err.invalid")]))
        errors = FormErrors.empty()
        if values.get("reason", "manual") not in REASONS:
            errors.fields["reason"] = ui.t("err.invalid_value")
        if not values.get("comment"):
            # Every staff decision says why in words: the webmaster reads it, the audit log keeps it.
            errors.fields["comment"] = ui.t("err.reason_required")
        if errors:
            return await again(422, errors)
        body = {"to": to, "reason": values.get("reason") or "manual", "comment": values["comment"]}

        async def call() -> object:
            return await conversions.transition(
                ui.require(), conversion_id, msgspec.convert(body, TransitionIn)
            )

        _, status_code, errors = await attempt(ui, call)
        if errors:
            return await again(status_code, errors)
        return redirect(PATH, status=tab or "", done=f"staff_conversion_{to}")
