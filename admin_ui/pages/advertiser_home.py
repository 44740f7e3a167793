"""The advertiser's dashboard (/ui/adv) and balance with stats (/ui/adv/balance): clicks, conversions and
spend on their offers from network.stats, the prepaid balance and its ledger from network.ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from admin_ui.forms import FormErrors
from admin_ui.pages import dashboard
from admin_ui.pages.params import Code, Offset
from admin_ui.render import notice, render
from admin_ui.session import ADVERTISER, UiContext, access
from admin_ui.views import daily_bars, ledger_line, pager
from network.conversions import service as conversions
from network.errors import DomainError
from network.ledger import service as ledger
from network.offers import access as offer_access
from network.offers import service as offers
from network.stats import csv
from network.stats import service as stats
from network.stats.schemas import StatsRow

UiDep = NamedDependency[UiContext]
PAGE = 20
OFFERS = 100
# The stats page groups by day or by offer; its range is at most a year, a month by default.
GROUPS = ("day", "offer")
MAX_DAYS = 366
DayQuery = Annotated[str | None, QueryParameter(max_length=10)]


@dataclass(frozen=True)
class Spend:
    """A period on the advertiser's offers: clicks, conversions, and what they cost (revenue)."""

    clicks: int | None
    conversions: int
    approved: int
    spend: str


def spend(row: StatsRow | None) -> Spend:
    if row is None:
        return Spend(0, 0, 0, "0")
    return Spend(row.clicks, row.conversions, row.approved, row.revenue or "0")


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _period(
    ui: UiContext, date_from: str | None, date_to: str | None, group_by: str | None
) -> tuple[date, date, str, FormErrors]:
    """The stats period and grouping the balance page and its CSV read: a month to today by default, at most
    a year; what is wrong is reported per field and replaced by the default."""
    today = datetime.now(ui.fmt.zone).date()
    errors = FormErrors.empty()
    start, end = _day(date_from), _day(date_to)
    if date_from and start is None:
        errors.fields["date_from"] = ui.t("err.invalid_value")
    if date_to and end is None:
        errors.fields["date_to"] = ui.t("err.invalid_value")
    end = end or today
    start = start or end - timedelta(days=29)
    if start > end:
        errors.fields["date_to"] = ui.t("adv.stats.to_before_from")
        start = end - timedelta(days=29)
    if (end - start).days >= MAX_DAYS:
        errors.fields["date_from"] = ui.t("adv.stats.too_long")
        start = end - timedelta(days=29)
    return start, end, group_by if group_by in GROUPS else "day", errors


async def _balance_page(
    ui: UiContext, date_from: str | None, date_to: str | None, group_by: str | None, offset: int
) -> Template:
    """The prepaid balance and its ledger lines, and stats for a date range by day or by offer."""
    principal = ui.require()
    start, end, grouping, errors = _period(ui, date_from, date_to, group_by)
    report = None
    try:
        report = await stats.report(
            principal, stats.StatsQuery(date_from=start, date_to=end, group_by=grouping)
        )
        by_day = (
            report
            if grouping == "day"
            else await stats.report(principal, stats.StatsQuery(date_from=start, date_to=end))
        )
    except DomainError as exc:
        errors.form.append(exc.detail)
        by_day = None
    names = {}
    if grouping == "offer":
        mine = await offers.list_offers(
            principal, status=None, visibility=None, category=None, search=None, limit=OFFERS, offset=0
        )
        names = {o.id: o.name for o in mine.items}
    days = (end - start).days + 1
    balance = await ledger.balance(principal)
    entries = await ledger.ledger(principal, account=None, limit=PAGE, offset=offset)
    values: dict[str, str] = {
        "date_from": start.isoformat(),
        "date_to": end.isoformat(),
        "group_by": grouping,
    }
    query: dict[str, str | None] = dict(values)
    return render(
        ui,
        "adv/balance.html",
        status_code=422 if errors else 200,
        errors=errors,
        values=values,
        balances=balance.advertiser,
        lines=[ledger_line(e, ui.fmt, ui.t) for e in entries.items],
        ledger_pager=pager(entries.total, PAGE, offset, "/ui/adv/balance", query),
        report=report,
        names=names,
        totals=spend(report.totals) if report else spend(None),
        chart=daily_bars(by_day.rows, start, days, ui.fmt, ui.t) if by_day else None,
        group_options=[(g, ui.t(f"adv.stats.by_{g}")) for g in GROUPS],
        csv_href="/ui/adv/stats.csv?" + urlencode(values),
    )


class AdvertiserHomePages(Controller):
    path = "/adv"
    opt = access(ADVERTISER)

    @get("/")
    async def dashboard(self, ui: UiDep, done: Code = None) -> Template:
        """Today, this month, the prepaid balance, 14 days of conversions, and what to do next."""
        principal = ui.require()
        figures = await dashboard.recent(ui)
        mine = await offers.list_offers(
            principal, status=None, visibility=None, category=None, search=None, limit=OFFERS, offset=0
        )
        statuses = [o.status for o in mine.items]
        waiting = 0
        for offer in mine.items:
            if offer.visibility == "approval_required":
                page = await offer_access.list_for_offer(principal, offer.id, "requested", 1, 0)
                waiting += page.total
        to_review = 0
        for status in ("pending", "hold"):
            found = await conversions.list_conversions(
                principal, status=status, offer_id=None, date_from=None, date_to=None, limit=1, offset=0
            )
            to_review += found.total
        any_conversion = await conversions.list_conversions(
            principal, status=None, offer_id=None, date_from=None, date_to=None, limit=1, offset=0
        )
        balance = await ledger.balance(principal)
        return render(
            ui,
            "adv/dashboard.html",
            today=spend(figures.today_row),
            month=spend(figures.month.totals),
            currency=figures.days.currency,
            chart=daily_bars(figures.days.rows, figures.first, dashboard.CHART_DAYS, ui.fmt, ui.t),
            offers_total=mine.total,
            active=statuses.count("active"),
            drafts=statuses.count("draft"),
            in_moderation=statuses.count("pending"),
            waiting_access=waiting,
            to_review=to_review,
            has_conversions=any_conversion.total > 0,
            balances=balance.advertiser,
            funded=any(Decimal(b.prepaid) > 0 for b in balance.advertiser),
            notice=notice(ui, done),
        )

    @get("/balance")
    async def balance(
        self,
        ui: UiDep,
        date_from: DayQuery = None,
        date_to: DayQuery = None,
        group_by: Code = None,
        offset: Offset = 0,
    ) -> Template:
        """The prepaid balance and its ledger lines, and stats for a date range by day or by offer."""
        return await _balance_page(ui, date_from, date_to, group_by, offset)

    @get("/stats.csv")
    async def stats_csv(
        self, ui: UiDep, date_from: DayQuery = None, date_to: DayQuery = None, group_by: Code = None
    ) -> Response[Any]:
        """The stats of the balance page as the API's ``format=csv`` gives them (network/stats/csv.py); a
        refused period gets the page with its errors instead."""
        start, end, grouping, errors = _period(ui, date_from, date_to, group_by)
        report = None
        if not errors:
            try:
                report = await stats.report(
                    ui.require(), stats.StatsQuery(date_from=start, date_to=end, group_by=grouping)
                )
            except DomainError:
                report = None
        if report is None:
            return await _balance_page(ui, date_from, date_to, group_by, 0)
        return Response(
            csv.render(report, ui.require()),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="stats-{report.date_from}-{report.date_to}.csv"'
            },
        )
