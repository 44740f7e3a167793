"""The advertiser's access requests: webmasters asking to join an approval-required offer, each approved or
declined (a decline with a reason the webmaster reads), with the same service as the API
(network/offers/access.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, invalid_input, misplaced
from admin_ui.pages.params import Code, IdPath
from admin_ui.render import notice, redirect, render
from admin_ui.session import ADVERTISER, UiContext, access, read_form
from network.accounts import repository as accounts_repo
from network.errors import DomainError
from network.offers import access as offer_access
from network.offers import service as offers
from network.offers.schemas import AccessDecision

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
# Offers and requests read per page: an advertiser's whole catalogue, the oldest requests first.
OFFERS = 100
REQUESTS = 100
DECISIONS = ("approve", "decline")


@dataclass(frozen=True)
class AccessRow:
    """One webmaster's request on one offer, with the names a reader recognises."""

    key: str
    offer_id: int
    offer_name: str
    webmaster_id: int
    webmaster_name: str
    message: str
    requested_at: datetime


async def _requests(ui: UiContext) -> tuple[list[AccessRow], int]:
    principal = ui.require()
    found = await offers.list_offers(
        principal,
        status=None,
        visibility="approval_required",
        category=None,
        search=None,
        limit=OFFERS,
        offset=0,
    )
    rows: list[AccessRow] = []
    for offer in found.items:
        page = await offer_access.list_for_offer(
            principal, offer.id, status="requested", limit=REQUESTS, offset=0
        )
        for item in page.items:
            wm = await accounts_repo.webmaster(tenant_id=principal.network_id, webmaster_id=item.webmaster_id)
            rows.append(
                AccessRow(
                    key=f"{offer.id}-{item.webmaster_id}",
                    offer_id=offer.id,
                    offer_name=offer.name,
                    webmaster_id=item.webmaster_id,
                    webmaster_name=str(wm["name"]) if wm else "",
                    message=item.message,
                    requested_at=item.updated_at,
                )
            )
    rows.sort(key=lambda r: r.requested_at)
    return rows, found.total


async def _access_page(
    ui: UiContext,
    *,
    status_code: int = 200,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    rows, approval_offers = await _requests(ui)
    return render(
        ui,
        "adv/access.html",
        status_code=status_code,
        errors=errors,
        values=values,
        failed=failed,
        misplaced=misplaced(errors, failed, {r.key for r in rows}),
        requests=rows,
        approval_offers=approval_offers,
        notice=notice(ui, done),
    )


class AdvertiserAccessPages(Controller):
    path = "/adv/access"
    opt = access(ADVERTISER)

    @get("/")
    async def requests(self, ui: UiDep, done: Code = None) -> Template:
        """Requests waiting on the advertiser's approval-required offers, one form each."""
        return await _access_page(ui, done=done)

    @post("/{offer_id:int}/{webmaster_id:int}/decision", status_code=200)
    async def decide(
        self, request: AnyRequest, ui: UiDep, offer_id: IdPath, webmaster_id: IdPath
    ) -> Response[Any]:
        values = await read_form(request, ui)
        decision = values.get("decision", "")
        shown = {"reason": values.get("reason", "")}
        key = f"{offer_id}-{webmaster_id}"

        async def again(status_code: int, errors: FormErrors) -> Template:
            return await _access_page(ui, status_code=status_code, failed=key, errors=errors, values=shown)

        if decision not in DECISIONS:
            return await again(422, FormErrors({}, [ui.t("err.invalid")]))
        if decision == "decline" and not shown["reason"]:
            # The webmaster reads why; the service refuses a decline without words as well.
            return await again(422, FormErrors({"reason": ui.t("err.reason_required")}, []))
        try:
            data = msgspec.convert({"decision": decision, "reason": shown["reason"]}, AccessDecision)
            await offer_access.decide(ui.require(), offer_id, webmaster_id, data)
        except msgspec.ValidationError as exc:
            return await again(422, invalid_input(exc, ui))
        except DomainError as exc:
            return await again(exc.status, form_errors(exc, ui))
        return redirect("/ui/adv/access", done=f"adv_access_{decision}d")
