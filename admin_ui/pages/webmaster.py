"""The webmaster's cabinet: dashboard, offer catalogue and offer page, conversions, balance and withdrawals.
Every page calls the same services as the API (docs/api.md)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, invalid_input, required
from admin_ui.pages import dashboard
from admin_ui.pages.params import Code, IdPath, Offset, Text
from admin_ui.render import notice, redirect, render
from admin_ui.session import WEBMASTER, UiContext, access, read_form
from admin_ui.views import daily_bars, ledger_line, pager, summary, terms_view
from network.conversions import service as conversions
from network.errors import DomainError
from network.ledger import service as ledger
from network.ledger.schemas import WithdrawalIn
from network.offers import access as offer_access
from network.offers import service as offers
from network.offers.schemas import AccessRequest
from network.terms import service as terms

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
VISIBILITIES = ("public", "approval_required", "private")
CONVERSION_STATUSES = ("pending", "hold", "approved", "rejected", "reversed")
# Access states from which the join button is offered (the service decides whether it succeeds).
JOINABLE = frozenset({"none", "declined", "invited"})
PAGE = 20


async def _balance_page(
    ui: UiContext,
    *,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
    offset: int = 0,
) -> Template:
    principal = ui.require()
    balance = await ledger.balance(principal)
    entries = await ledger.ledger(principal, account=None, limit=PAGE, offset=offset)
    withdrawals = await ledger.list_withdrawals(
        principal, status=None, webmaster_id=None, limit=PAGE, offset=0
    )
    currencies = [b.currency for b in balance.webmaster]
    return render(
        ui,
        "wm/balance.html",
        status_code=status_code,
        errors=errors,
        values=values or {"currency": currencies[0] if currencies else ""},
        balances=balance.webmaster,
        currencies=currencies,
        currency_options=[(c, c) for c in currencies],
        lines=[ledger_line(e, ui.fmt, ui.t) for e in entries.items],
        ledger_pager=pager(entries.total, PAGE, offset, "/ui/wm/balance", {}),
        withdrawals=withdrawals.items,
        notice=notice(ui, done),
    )


class WebmasterPages(Controller):
    path = "/wm"
    opt = access(WEBMASTER)

    @get("/")
    async def dashboard(self, ui: UiDep, done: Code = None) -> Template:
        """Today's and this month's clicks, conversions and earnings, and the last 14 days as a chart."""
        principal = ui.require()
        figures = await dashboard.recent(ui)
        joined = [a for a in await offer_access.list_mine(principal) if a.status == "approved"]
        any_conversion = await conversions.list_conversions(
            principal, status=None, offer_id=None, date_from=None, date_to=None, limit=1, offset=0
        )
        balance = await ledger.balance(principal)
        return render(
            ui,
            "wm/dashboard.html",
            today=summary(figures.today_row),
            month=summary(figures.month.totals),
            currency=figures.days.currency,
            chart=daily_bars(figures.days.rows, figures.first, dashboard.CHART_DAYS, ui.fmt, ui.t),
            joined=len(joined),
            has_conversions=any_conversion.total > 0,
            balances=balance.webmaster,
            notice=notice(ui, done),
        )

    @get("/offers")
    async def catalogue(
        self,
        ui: UiDep,
        q: Text = None,
        category: Text = None,
        visibility: Text = None,
        offset: Offset = 0,
    ) -> Template:
        principal = ui.require()
        chosen = visibility if visibility in VISIBILITIES else None
        found = await offers.list_offers(
            principal,
            status=None,
            visibility=chosen,
            category=category or None,
            search=q or None,
            limit=PAGE,
            offset=offset,
        )
        filters = {"q": q, "category": category, "visibility": chosen}
        return render(
            ui,
            "wm/offers.html",
            offers=found.items,
            filters={k: v or "" for k, v in filters.items()},
            filtered=any(filters.values()),
            visibility_options=[("", ui.t("offers.any_visibility"))]
            + [(v, ui.t.label("visibility", v)) for v in VISIBILITIES],
            pager=pager(found.total, PAGE, offset, "/ui/wm/offers", filters),
        )

    async def _offer_page(
        self,
        ui: UiContext,
        offer_id: IdPath,
        *,
        status_code: int = 200,
        errors: FormErrors | None = None,
        done: str | None = None,
    ) -> Template:
        principal = ui.require()
        offer = await offers.get_offer(principal, offer_id)
        if offer.my_access == "approved":
            # Joined: the terms in force for this webmaster (the service resolves private deals and groups).
            mine = next((m for m in await terms.my_terms(principal) if m.offer_id == offer_id), None)
            in_force = [mine.in_force] if mine and mine.in_force else []
            upcoming = mine.upcoming if mine else []
        else:
            versions = await terms.list_versions(principal, offer_id)
            in_force = [v for v in versions if v.state == "in_force"]
            upcoming = [v for v in versions if v.state == "upcoming"]
        return render(
            ui,
            "wm/offer.html",
            status_code=status_code,
            errors=errors,
            offer=offer,
            can_join=offer.my_access in JOINABLE,
            asks_approval=offer.visibility == "approval_required" and offer.my_access != "invited",
            in_force=[terms_view(v, ui.fmt, ui.t) for v in in_force],
            upcoming=[terms_view(v, ui.fmt, ui.t) for v in upcoming],
            notice=notice(ui, done),
        )

    @get("/offers/{offer_id:int}")
    async def offer(self, ui: UiDep, offer_id: IdPath, done: Code = None) -> Template:
        """The offer with the terms in force, any announced change with its date, and the join button."""
        return await self._offer_page(ui, offer_id, done=done)

    @post("/offers/{offer_id:int}/join", status_code=200)
    async def join(self, request: AnyRequest, ui: UiDep, offer_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)
        try:
            data = msgspec.convert({"message": values.get("message", "")}, AccessRequest)
            result = await offer_access.request_access(ui.require(), offer_id, data)
        except msgspec.ValidationError as exc:
            return await self._offer_page(ui, offer_id, status_code=422, errors=invalid_input(exc, ui))
        except DomainError as exc:
            return await self._offer_page(ui, offer_id, status_code=exc.status, errors=form_errors(exc, ui))
        done = "joined" if result.status == "approved" else "requested"
        return redirect(f"/ui/wm/offers/{offer_id}", done=done)

    @get("/conversions")
    async def conversions(self, ui: UiDep, status: Code = None, offset: Offset = 0) -> Template:
        """Each conversion with its status, reason code and hold-until date."""
        chosen = status if status in CONVERSION_STATUSES else None
        found = await conversions.list_conversions(
            ui.require(),
            status=chosen,
            offer_id=None,
            date_from=None,
            date_to=None,
            limit=PAGE,
            offset=offset,
        )
        return render(
            ui,
            "wm/conversions.html",
            conversions=found.items,
            status=chosen or "",
            statuses=CONVERSION_STATUSES,
            pager=pager(found.total, PAGE, offset, "/ui/wm/conversions", {"status": chosen}),
        )

    @get("/balance")
    async def balance(self, ui: UiDep, done: Code = None, offset: Offset = 0) -> Template:
        """Balances, the ledger in words, the withdrawal form and the withdrawal history."""
        return await _balance_page(ui, done=done, offset=offset)

    @post("/withdrawals", status_code=200)
    async def request_withdrawal(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        values = await read_form(request, ui)
        shown = {k: values.get(k, "") for k in ("amount", "currency", "details")}
        errors = required(values, ui, "amount")
        if errors:
            return await _balance_page(ui, status_code=422, errors=errors, values=shown)
        amount = ui.fmt.parse_amount(values["amount"])
        try:
            data = msgspec.convert(
                {"amount": amount, "currency": shown["currency"] or None, "details": shown["details"]},
                WithdrawalIn,
            )
            await ledger.request_withdrawal(ui.require(), data)
        except msgspec.ValidationError as exc:
            return await _balance_page(ui, status_code=422, errors=invalid_input(exc, ui), values=shown)
        except DomainError as exc:
            return await _balance_page(ui, status_code=exc.status, errors=form_errors(exc, ui), values=shown)
        return redirect("/ui/wm/balance", done="withdrawal_requested")
