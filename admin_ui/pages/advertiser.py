"""The advertiser's conversions review: approve, reject or reverse one by one, or approve or reject the
ticked ones at once (the bulk-status service), always with a reason the webmaster reads for a rejection.
The rest of the advertiser's cabinet is in advertiser_*.py."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, invalid_input, misplaced
from admin_ui.pages.params import Code, IdPath, Offset
from admin_ui.render import notice, redirect, render
from admin_ui.session import ADVERTISER, UiContext, access, read_form
from admin_ui.views import pager
from network.conversions import service as conversions
from network.conversions.schemas import BulkResultOut, BulkTransitionIn, TransitionIn
from network.errors import DomainError

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
TABS = ("pending", "hold", "approved", "rejected", "reversed")
# The decisions this page offers, per current status (network/conversions/lifecycle.py has the full table).
ACTIONS = {"pending": ("approved", "rejected"), "hold": ("approved", "rejected"), "approved": ("reversed",)}
REASONS = {
    "rejected": ("advertiser_rejected", "duplicate_order", "fraud_bot", "fraud_datacenter", "fraud_velocity"),
    "reversed": ("advertiser_reversed", "duplicate_order", "fraud_bot", "fraud_datacenter", "fraud_velocity"),
}
PAGE = 20
# Decisions the bulk form offers, on the tabs that await one.
BULK = ("approved", "rejected")
BULK_TABS = frozenset({"pending", "hold"})
MAX_BULK = 500


async def _review_page(
    ui: UiContext,
    status: str | None,
    offset: int = 0,
    *,
    status_code: int = 200,
    failed: int | str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
    bulk_failures: list[BulkResultOut] | None = None,
) -> Template:
    principal = ui.require()
    counts = {}
    for tab in TABS:
        page = await conversions.list_conversions(principal, status=tab, **_unfiltered(limit=1, offset=0))
        counts[tab] = page.total
    if status not in TABS:
        # Open on what awaits a decision.
        status = "hold" if not counts["pending"] and counts["hold"] else "pending"
    found = await conversions.list_conversions(
        principal, status=status, **_unfiltered(limit=PAGE, offset=offset)
    )
    return render(
        ui,
        "adv/conversions.html",
        status_code=status_code,
        errors=errors,
        values=values,
        failed=failed,
        misplaced=misplaced(errors, failed, {c.id for c in found.items}),
        tabs=[(tab, counts[tab]) for tab in TABS],
        status=status,
        conversions=found.items,
        actions=ACTIONS,
        reason_options={
            to: [(code, ui.t.label("reason", code)) for code in codes] for to, codes in REASONS.items()
        },
        pager=pager(found.total, PAGE, offset, "/ui/adv/conversions", {"status": status}),
        notice=notice(ui, done),
        bulk=status in BULK_TABS and bool(found.items),
        bulk_options=[(to, ui.t(f"adv.bulk.to_{to}")) for to in BULK],
        bulk_failures=bulk_failures or [],
    )


def _unfiltered(*, limit: int, offset: int) -> dict[str, Any]:
    return {"offer_id": None, "date_from": None, "date_to": None, "limit": limit, "offset": offset}


class AdvertiserPages(Controller):
    path = "/adv"
    opt = access(ADVERTISER)

    @get("/conversions")
    async def review(self, ui: UiDep, status: Code = None, offset: Offset = 0, done: Code = None) -> Template:
        """Conversions on the advertiser's offers, by status, each with its decision form."""
        return await _review_page(ui, status, offset, done=done)

    @post("/conversions/{conversion_id:int}/decision", status_code=200)
    async def decide(self, request: AnyRequest, ui: UiDep, conversion_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)
        tab = values.get("status")
        to = values.get("to", "")
        shown = {k: values.get(k, "") for k in ("to", "reason", "comment")}

        async def again(status_code: int, errors: FormErrors) -> Template:
            return await _review_page(
                ui, tab, status_code=status_code, failed=conversion_id, errors=errors, values=shown
            )

        if to not in {"approved", "rejected", "reversed"}:
            return await again(422, FormErrors({}, [ui.t("err.invalid")]))
        if to in REASONS and not values.get("comment"):
            # The webmaster reads why: a rejection or reversal from this page always says it in words.
            return await again(422, FormErrors({"comment": ui.t("err.reason_required")}, []))
        body: dict[str, str] = {"to": to, "comment": values.get("comment", "")}
        if to in REASONS:
            body["reason"] = values.get("reason") or REASONS[to][0]
        try:
            data = msgspec.convert(body, TransitionIn)
            await conversions.transition(ui.require(), conversion_id, data)
        except msgspec.ValidationError as exc:
            return await again(422, invalid_input(exc, ui))
        except DomainError as exc:
            return await again(exc.status, form_errors(exc, ui))
        return redirect("/ui/adv/conversions", status=tab or "", done=f"conversion_{to}")

    @post("/conversions/bulk", status_code=200)
    async def bulk(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        """Approve or reject the ticked conversions at once, each in its own transaction."""
        values = await read_form(request, ui)
        form = await request.form()
        ids = [str(v) for v in form.getall("ids")] if "ids" in form else []
        tab = values.get("status")
        to = values.get("to", "")
        shown = {k: values.get(k, "") for k in ("to", "reason", "comment")}

        async def again(status_code: int, errors: FormErrors) -> Template:
            return await _review_page(
                ui, tab, status_code=status_code, failed="bulk", errors=errors, values=shown
            )

        if to not in BULK:
            return await again(422, FormErrors({"to": ui.t("err.invalid_value")}, []))
        if not ids:
            return await again(422, FormErrors({"ids": ui.t("adv.bulk.none_ticked")}, []))
        if to in REASONS and not shown["comment"]:
            return await again(422, FormErrors({"comment": ui.t("err.reason_required")}, []))
        body: dict[str, Any] = {"ids": ids[:MAX_BULK], "to": to, "comment": shown["comment"]}
        if to in REASONS:
            body["reason"] = shown["reason"] or REASONS[to][0]
        try:
            data = msgspec.convert(body, BulkTransitionIn, strict=False)
            results = await conversions.bulk_transition(ui.require(), data)
        except msgspec.ValidationError as exc:
            return await again(422, invalid_input(exc, ui))
        except DomainError as exc:
            return await again(exc.status, form_errors(exc, ui))
        failures = [r for r in results if not r.ok]
        if failures:
            return await _review_page(ui, tab, bulk_failures=failures)
        return redirect("/ui/adv/conversions", status=tab or "", done="adv_bulk_done")
