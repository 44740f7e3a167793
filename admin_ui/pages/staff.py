"""The staff console: so far the moderation queue of pending offers and pending webmasters. Every decision
here needs a reason, which the advertiser or webmaster reads and the audit log keeps."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, invalid_input, misplaced, required
from admin_ui.pages.params import Code, IdPath
from admin_ui.render import notice, redirect, render
from admin_ui.session import STAFF, UiContext, access, read_form
from network.accounts import service as accounts
from network.accounts.schemas import StatusChange
from network.errors import DomainError
from network.offers import service as offers
from network.offers.schemas import Transition

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
QUEUE = 50
# approve / reject in the queue, as the service's status changes.
OFFER_MOVES = {"approve": "active", "reject": "draft"}
WEBMASTER_MOVES = {"approve": "active", "reject": "banned"}


async def _queue_page(
    ui: UiContext,
    *,
    status_code: int = 200,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: Code = None,
) -> Template:
    principal = ui.require()
    pending_offers = await offers.list_offers(
        principal, status="pending", visibility=None, category=None, search=None, limit=QUEUE, offset=0
    )
    pending_webmasters = await accounts.list_webmasters(principal, "pending", QUEUE, 0)
    return render(
        ui,
        "staff/moderation.html",
        status_code=status_code,
        errors=errors,
        values=values,
        failed=failed,
        misplaced=misplaced(
            errors,
            failed,
            {f"offer-{o.id}" for o in pending_offers.items}
            | {f"webmaster-{w.id}" for w in pending_webmasters.items},
        ),
        offers=pending_offers,
        webmasters=pending_webmasters,
        notice=notice(ui, done),
    )


async def _decision(request: AnyRequest, ui: UiContext) -> tuple[dict[str, str], str | None, FormErrors]:
    values = await read_form(request, ui)
    decision = values.get("decision")
    errors = required(values, ui, "reason")
    if decision not in {"approve", "reject"}:
        errors.form.append(ui.t("err.invalid"))
    return values, decision, errors


class StaffPages(Controller):
    path = "/staff"
    opt = access(STAFF)

    @get("/")
    async def home(self) -> Redirect:
        return redirect("/ui/staff/moderation")

    @get("/moderation")
    async def queue(self, ui: UiDep, done: Code = None) -> Template:
        return await _queue_page(ui, done=done)

    @post("/offers/{offer_id:int}/decision", status_code=200)
    async def decide_offer(self, request: AnyRequest, ui: UiDep, offer_id: IdPath) -> Response[Any]:
        values, decision, errors = await _decision(request, ui)
        failed = f"offer-{offer_id}"
        if errors or decision is None:
            return await _queue_page(ui, status_code=422, failed=failed, errors=errors, values=values)
        try:
            data = msgspec.convert({"to": OFFER_MOVES[decision], "reason": values["reason"]}, Transition)
            await offers.transition(ui.require(), offer_id, data)
        except msgspec.ValidationError as exc:
            errors = invalid_input(exc, ui)
            return await _queue_page(ui, status_code=422, failed=failed, errors=errors, values=values)
        except DomainError as exc:
            errors = form_errors(exc, ui)
            return await _queue_page(ui, status_code=exc.status, failed=failed, errors=errors, values=values)
        return redirect("/ui/staff/moderation", done=f"offer_{decision}d")

    @post("/webmasters/{webmaster_id:int}/decision", status_code=200)
    async def decide_webmaster(self, request: AnyRequest, ui: UiDep, webmaster_id: IdPath) -> Response[Any]:
        values, decision, errors = await _decision(request, ui)
        failed = f"webmaster-{webmaster_id}"
        if errors or decision is None:
            return await _queue_page(ui, status_code=422, failed=failed, errors=errors, values=values)
        try:
            change = msgspec.convert(
                {"status": WEBMASTER_MOVES[decision], "reason": values["reason"]}, StatusChange
            )
            await accounts.set_webmaster_status(ui.require(), webmaster_id, change)
        except msgspec.ValidationError as exc:
            errors = invalid_input(exc, ui)
            return await _queue_page(ui, status_code=422, failed=failed, errors=errors, values=values)
        except DomainError as exc:
            errors = form_errors(exc, ui)
            return await _queue_page(ui, status_code=exc.status, failed=failed, errors=errors, values=values)
        return redirect("/ui/staff/moderation", done=f"webmaster_{decision}d")
