"""Staff: the access requests queue, next to the offers and webmasters queues of the moderation page.
Webmasters asking to join an approval-required (or private) offer, approved or declined by staff on the
advertiser's behalf, always with a reason the webmaster reads (network/offers/access.py decide)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.response import Template

from admin_ui.forms import FormErrors, misplaced, required
from admin_ui.pages.params import Code, IdPath
from admin_ui.pages.staff_common import AnyRequest, UiDep, attempt
from admin_ui.render import notice, redirect, render
from admin_ui.session import STAFF, UiContext, access, read_form
from network.accounts import service as accounts
from network.offers import access as offer_access
from network.offers import service as offers
from network.offers.schemas import AccessDecision

PATH = "/ui/staff/moderation/access"
OFFERS = 100
REQUESTS = 100
DECISIONS = ("approve", "decline")


@dataclass(frozen=True)
class Request:
    key: str
    offer_id: int
    offer_name: str
    advertiser_id: int
    webmaster_id: int
    webmaster_name: str
    message: str
    requested_at: datetime


async def _requests(ui: UiContext) -> list[Request]:
    """Every open request on the network's offers that need approval, the oldest first."""
    principal = ui.require()
    rows: list[Request] = []
    for visibility in ("approval_required", "private"):
        found = await offers.list_offers(
            principal,
            status=None,
            visibility=visibility,
            category=None,
            search=None,
            limit=OFFERS,
            offset=0,
        )
        for offer in found.items:
            page = await offer_access.list_for_offer(
                principal, offer.id, status="requested", limit=REQUESTS, offset=0
            )
            for item in page.items:
                wm = await accounts.get_webmaster(principal, item.webmaster_id)
                rows.append(
                    Request(
                        f"access-{offer.id}-{item.webmaster_id}",
                        offer.id,
                        offer.name,
                        offer.advertiser_id,
                        item.webmaster_id,
                        wm.name,
                        item.message,
                        item.updated_at,
                    )
                )
    rows.sort(key=lambda r: r.requested_at)
    return rows


async def _page(
    ui: UiContext,
    *,
    status_code: int = 200,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    requests = await _requests(ui)
    return render(
        ui,
        "staff/access.html",
        status_code=status_code,
        errors=errors,
        values=values,
        failed=failed,
        misplaced=misplaced(errors, failed, {r.key for r in requests}),
        requests=requests,
        notice=notice(ui, done),
    )


class StaffAccessPages(Controller):
    path = "/staff/moderation/access"
    opt = access(STAFF)

    @get("/")
    async def queue(self, ui: UiDep, done: Code = None) -> Template:
        """Open access requests, each with its decision form."""
        return await _page(ui, done=done)

    @post("/{offer_id:int}/{webmaster_id:int}/decision", status_code=200)
    async def decide(
        self, request: AnyRequest, ui: UiDep, offer_id: IdPath, webmaster_id: IdPath
    ) -> Response[Any]:
        values = await read_form(request, ui)
        decision = values.get("decision", "")
        shown = {"reason": values.get("reason", "")}
        failed = f"access-{offer_id}-{webmaster_id}"
        # Staff decide on the advertiser's behalf: both ways, the webmaster reads why.
        errors = required(values, ui, "reason")
        if decision not in DECISIONS:
            errors.form.append(ui.t("err.invalid"))
        if errors:
            return await _page(ui, status_code=422, failed=failed, errors=errors, values=shown)
        body = {"decision": decision, "reason": values["reason"]}

        async def call() -> object:
            data = msgspec.convert(body, AccessDecision)
            return await offer_access.decide(ui.require(), offer_id, webmaster_id, data)

        _, status_code, errors = await attempt(ui, call)
        if errors:
            return await _page(ui, status_code=status_code, failed=failed, errors=errors, values=shown)
        return redirect(PATH, done=f"staff_access_{decision}d")
