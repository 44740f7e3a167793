"""The webmaster's stats: network.stats.report (``GET /api/v1/stats``) for a date range, grouped by day,
offer, sub1 or country, as a table, a chart of the days, and the API's CSV."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Response, get
from litestar.response import Template

from admin_ui.forms import FormErrors
from admin_ui.i18n import Formatter, Translator
from admin_ui.pages.params import Code
from admin_ui.pages.webmaster_common import UiDep, problem
from admin_ui.render import render
from admin_ui.session import WEBMASTER, UiContext, access
from admin_ui.views import Chart, daily_bars
from network.errors import DomainError, NotFoundError
from network.offers import service as offers
from network.principal import Principal
from network.stats import csv
from network.stats import service as stats
from network.stats.schemas import StatsReport, StatsRow

GROUPINGS = ("day", "offer", "sub1", "country")
# A chart's axis shows at most this many day labels (one in every n days past that).
AXIS_LABELS = 14


@dataclass(frozen=True)
class StatsLine:
    """A report row for the table: its group's label (and link), and the metrics formatted."""

    label: str
    href: str | None
    clicks: str
    unique: str
    invalid: str
    conversions: str
    pending: str
    hold: str
    approved: str
    rejected: str
    reversed: str
    cr: str
    epc: str
    payout: str


def _percent(ratio: str | None, fmt: Formatter) -> str:
    return "—" if ratio is None else f"{fmt.number(Decimal(ratio) * 100, 2)}%"


def stats_line(row: StatsRow, label: str, href: str | None, currency: str, fmt: Formatter) -> StatsLine:
    return StatsLine(
        label=label,
        href=href,
        clicks=fmt.number(row.clicks),
        unique=fmt.number(row.unique_clicks),
        invalid=fmt.number(row.invalid_clicks),
        conversions=fmt.number(row.conversions),
        pending=fmt.number(row.pending),
        hold=fmt.number(row.hold),
        approved=fmt.number(row.approved),
        rejected=fmt.number(row.rejected),
        reversed=fmt.number(row.reversed),
        cr=_percent(row.cr, fmt),
        epc=fmt.money(row.epc, currency),
        payout=fmt.money(row.payout, currency),
    )


async def _offer_names(principal: Principal, report: StatsReport) -> dict[int, str]:
    names: dict[int, str] = {}
    for row in report.rows:
        offer_id = row.offer_id
        if isinstance(offer_id, int) and offer_id not in names:
            try:
                names[offer_id] = (await offers.get_offer(principal, offer_id)).name
            except NotFoundError:
                names[offer_id] = f"#{offer_id}"
    return names


def _label(row: StatsRow, group: str, names: dict[int, str], fmt: Formatter, t: Translator) -> str:
    if group == "day":
        return fmt.day(row.day) if isinstance(row.day, date) else "—"
    if group == "offer":
        return names.get(row.offer_id, "") if isinstance(row.offer_id, int) else t("wm.stats.trafficback")
    value = getattr(row, group)
    return value if isinstance(value, str) and value else t("wm.stats.empty_value")


def stats_chart(report: StatsReport, fmt: Formatter, t: Translator) -> Chart:
    days = (report.date_to - report.date_from).days + 1
    chart = daily_bars(report.rows, report.date_from, days, fmt, t)
    step = max(1, math.ceil(days / AXIS_LABELS))
    bars = [replace(bar, show_label=(days - 1 - i) % step == 0) for i, bar in enumerate(chart.bars)]
    return replace(chart, bars=bars)


def _day(raw: str | None, name: str, ui: UiContext, errors: FormErrors) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.fields[name] = ui.t("wm.err.date_invalid")
        return None


async def _query(
    ui: UiContext, date_from: str | None, date_to: str | None, group_by: str | None
) -> tuple[dict[str, str], FormErrors, StatsReport | None]:
    """The form's values, its errors, and the report (None when the form or the service refused)."""
    group = group_by if group_by in GROUPINGS else "day"
    values = {"date_from": date_from or "", "date_to": date_to or "", "group_by": group}
    errors = FormErrors.empty()
    first, last = _day(date_from, "date_from", ui, errors), _day(date_to, "date_to", ui, errors)
    if errors:
        return values, errors, None
    try:
        report = await stats.report(
            ui.require(), stats.StatsQuery(date_from=first, date_to=last, group_by=group)
        )
    except DomainError as exc:
        return values, problem(exc, ui), None
    values |= {"date_from": report.date_from.isoformat(), "date_to": report.date_to.isoformat()}
    return values, errors, report


async def _page(ui: UiContext, date_from: str | None, date_to: str | None, group_by: str | None) -> Template:
    values, errors, report = await _query(ui, date_from, date_to, group_by)
    group = values["group_by"]
    lines: list[StatsLine] = []
    total = chart = None
    if report is not None:
        names = await _offer_names(ui.require(), report) if group == "offer" else {}
        for row in report.rows:
            href = f"/ui/wm/offers/{row.offer_id}" if group == "offer" and row.offer_id else None
            label = _label(row, group, names, ui.fmt, ui.t)
            lines.append(stats_line(row, label, href, report.currency, ui.fmt))
        total = stats_line(report.totals, ui.t("wm.stats.total"), None, report.currency, ui.fmt)
        chart = stats_chart(report, ui.fmt, ui.t) if group == "day" else None
    return render(
        ui,
        "wm/stats.html",
        status_code=422 if errors else 200,
        errors=errors,
        values=values,
        report=report,
        lines=lines,
        total=total,
        chart=chart,
        group_label=ui.t(f"wm.stats.col_{group}"),
        group_options=[(g, ui.t(f"wm.stats.by_{g}")) for g in GROUPINGS],
        csv_href="/ui/wm/stats.csv?" + urlencode({k: v for k, v in values.items() if v}),
    )


class WebmasterStatsPages(Controller):
    path = "/wm"
    opt = access(WEBMASTER)

    @get("/stats")
    async def stats_page(
        self, ui: UiDep, date_from: Code = None, date_to: Code = None, group_by: Code = None
    ) -> Template:
        """Clicks, unique and invalid clicks, conversions by status, CR, EPC and payout per group."""
        return await _page(ui, date_from, date_to, group_by)

    @get("/stats.csv")
    async def stats_csv(
        self, ui: UiDep, date_from: Code = None, date_to: Code = None, group_by: Code = None
    ) -> Response[Any]:
        """The same rows as the API's ``format=csv`` (network/stats/csv.py); a refused query gets the page."""
        _, _, report = await _query(ui, date_from, date_to, group_by)
        if report is None:
            return await _page(ui, date_from, date_to, group_by)
        name = f"stats-{report.date_from}-{report.date_to}.csv"
        return Response(
            csv.render(report, ui.require()),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
