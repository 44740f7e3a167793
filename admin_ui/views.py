"""Presenters: service results shaped for display (a chart's geometry, a rule made readable, a ledger line).
No decisions are made here; they only describe what the services returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import msgspec

from admin_ui.i18n import Formatter, Translator
from network.ledger.schemas import LedgerEntryOut
from network.stats.schemas import StatsRow
from network.terms.schemas import TermsVersionOut

# The chart's drawing box: the axis labels below the bars, the tallest bar's count above it.
CHART_WIDTH, CHART_HEIGHT, CHART_AXIS, CHART_TOP = 700, 180, 22, 18


@dataclass(frozen=True)
class Summary:
    """A period's clicks, conversions and earnings (the payout of conversions that count)."""

    clicks: int | None
    conversions: int
    earnings: str


def summary(row: StatsRow | None) -> Summary:
    if row is None:
        return Summary(0, 0, "0")
    return Summary(row.clicks, row.conversions, row.payout or "0")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    cx: float
    value_y: float
    width: float
    height: float
    value: int
    label: str
    title: str
    show_label: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    maximum: int
    total: int
    baseline: float

    @property
    def label_y(self) -> int:
        return self.height - 6


def daily_bars(
    rows: list[StatsRow], first: date, days: int, fmt: Formatter, t: Translator, metric: str = "conversions"
) -> Chart:
    """A bar per day from ``first``, zero on days the report has no row for."""
    by_day = {row.day: row for row in rows if isinstance(row.day, date)}
    values = []
    for i in range(days):
        day = first + timedelta(days=i)
        row = by_day.get(day)
        values.append((day, int(getattr(row, metric) or 0) if row else 0))
    maximum = max((v for _, v in values), default=0)
    plot = CHART_HEIGHT - CHART_AXIS
    slot = CHART_WIDTH / max(days, 1)
    bars = []
    for i, (day, value) in enumerate(values):
        height = 0.0 if maximum == 0 else max((plot - CHART_TOP) * value / maximum, 2.0 if value else 0.0)
        bars.append(
            Bar(
                x=round(i * slot + slot * 0.15, 2),
                y=round(plot - height, 2),
                cx=round(i * slot + slot / 2, 2),
                value_y=round(plot - height - 4, 2),
                width=round(slot * 0.7, 2),
                height=round(height, 2),
                value=value,
                label=fmt.day_short(day),
                title=t.plural("chart.conversions_on", value, day=fmt.day(day)),
                # Every other label on a phone-sized chart would collide; the first and last always show.
                show_label=i % 2 == (days - 1) % 2,
            )
        )
    return Chart(CHART_WIDTH, CHART_HEIGHT, bars, maximum, sum(v for _, v in values), float(plot))


@dataclass(frozen=True)
class RuleView:
    """A terms rule as a reader sees it: a fixed amount, or "depends" with the JSON-logic behind it."""

    fixed: str | None
    source: str


def _rule(raw: msgspec.Raw | None) -> Any:
    return None if raw is None else msgspec.json.decode(raw)


def money_rule(raw: msgspec.Raw | None, currency: str, fmt: Formatter) -> RuleView:
    value = _rule(raw)
    source = msgspec.json.encode(value).decode()
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return RuleView(fmt.money(Decimal(str(value)), currency), source)
        except InvalidOperation:
            pass
    return RuleView(None, source)


def days_rule(raw: msgspec.Raw | None, t: Translator) -> RuleView:
    value = _rule(raw)
    source = msgspec.json.encode(value).decode()
    if isinstance(value, int) and not isinstance(value, bool):
        return RuleView(t.plural("unit.days", value) if value else t("terms.no_hold"), source)
    return RuleView(None, source)


@dataclass(frozen=True)
class TermsView:
    id: int
    number: int
    state: str
    scope: str
    effective_from: str
    payout: RuleView
    hold: RuleView
    note: str
    accepted_at: str | None


def terms_view(version: TermsVersionOut, fmt: Formatter, t: Translator) -> TermsView:
    return TermsView(
        id=version.id,
        number=version.number,
        state=version.state,
        scope=version.scope,
        effective_from=fmt.moment(version.effective_from),
        payout=money_rule(version.rules.get("payout"), version.currency, fmt),
        hold=days_rule(version.rules.get("hold_days"), t),
        note=version.note,
        accepted_at=fmt.moment(version.accepted_at) if version.accepted_at else None,
    )


@dataclass(frozen=True)
class LedgerLine:
    at: str
    what: str
    account: str
    amount: str
    negative: bool
    conversion_id: int | None
    withdrawal_id: int | None


def ledger_line(entry: LedgerEntryOut, fmt: Formatter, t: Translator) -> LedgerLine:
    """``wm:12:available`` reads "Available"; ``conversion_approved`` reads "Conversion approved"."""
    return LedgerLine(
        at=fmt.moment(entry.created_at),
        what=t.label("ledger_kind", entry.kind),
        account=t.label("account", entry.account.rsplit(":", 1)[-1]),
        amount=fmt.money(entry.amount, entry.currency),
        negative=Decimal(entry.amount) < 0,
        conversion_id=entry.conversion_id,
        withdrawal_id=entry.withdrawal_id,
    )


@dataclass(frozen=True)
class Pager:
    """The "21-40 of 57" line, with the addresses of the pages before and after (filters kept)."""

    first: int
    last: int
    total: int
    previous: str | None
    next: str | None


def pager(total: int, limit: int, offset: int, path: str, params: dict[str, str | None]) -> Pager:
    kept = {k: v for k, v in params.items() if v}

    def url(page_offset: int) -> str:
        query = {**kept, "offset": str(page_offset)} if page_offset else kept
        return path + ("?" + urlencode(query) if query else "")

    previous = url(max(offset - limit, 0)) if offset > 0 else None
    following = url(offset + limit) if offset + limit < total else None
    return Pager(offset + 1 if total else 0, min(offset + limit, total), total, previous, following)
