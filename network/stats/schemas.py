"""Stats API schemas. Money and ratios are decimal strings, never floats (docs/stats.md)."""

from __future__ import annotations

from datetime import date

import msgspec
from msgspec import UNSET, UnsetType


class StatsRow(msgspec.Struct, kw_only=True):
    """One row of the report: the values of the grouped dimensions (the others are absent), then the metrics.

    A metric is null when it cannot be known (click metrics of a row grouped by sub2..sub5 or goal, ratios
    without clicks) or is not shown to the caller (payout to advertisers, revenue and profit to webmasters).
    """

    day: date | UnsetType = UNSET
    # null: clicks that reached no offer (trafficback).
    offer_id: int | UnsetType | None = UNSET
    webmaster_id: int | UnsetType = UNSET
    sub1: str | UnsetType = UNSET
    sub2: str | UnsetType = UNSET
    sub3: str | UnsetType = UNSET
    sub4: str | UnsetType = UNSET
    sub5: str | UnsetType = UNSET
    country: str | UnsetType = UNSET
    goal: str | UnsetType = UNSET
    clicks: int | None
    unique_clicks: int | None
    invalid_clicks: int | None
    conversions: int
    pending: int
    hold: int
    approved: int
    rejected: int
    reversed: int
    cr: str | None
    epc: str | None
    payout: str | None
    revenue: str | None
    profit: str | None


class StatsReport(msgspec.Struct, kw_only=True):
    """The report: its period (inclusive, in ``timezone``), grouping, rows sorted by the first dimension,
    and the totals of all rows. Money is in ``currency``; conversions in ``other_currencies`` are counted
    but their money is not in any amount (ask again with ``currency=`` to see it)."""

    date_from: date
    date_to: date
    timezone: str
    currency: str
    group_by: list[str]
    rows: list[StatsRow]
    totals: StatsRow
    other_currencies: list[str]
