"""The stats report as CSV: a header row, then one line per report row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec

from network.principal import Principal, Role
from network.stats.schemas import StatsReport

METRICS = (
    "clicks",
    "unique_clicks",
    "invalid_clicks",
    "conversions",
    "pending",
    "hold",
    "approved",
    "rejected",
    "reversed",
    "cr",
    "epc",
    "payout",
    "revenue",
    "profit",
)
# Metrics a role never sees: their columns are left out rather than always empty.
HIDDEN = {
    Role.WEBMASTER: frozenset({"revenue", "profit"}),
    Role.ADVERTISER: frozenset({"epc", "payout", "profit"}),
}
FIELDS = {"offer": "offer_id", "webmaster": "webmaster_id"}
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP "CSV
# injection"); a leading apostrophe makes it text. Only text we did not write is guarded (sub ids, country,
# goal): the numbers are ours, and a negative profit must stay a number.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def columns(report: StatsReport, principal: Principal) -> list[str]:
    hidden = HIDDEN.get(principal.role, frozenset())
    return [FIELDS.get(d, d) for d in report.group_by] + [m for m in METRICS if m not in hidden]


def render(report: StatsReport, principal: Principal) -> str:
    header = columns(report, principal)
    dimensions = len(report.group_by)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in report.rows:
        values: dict[str, Any] = msgspec.structs.asdict(row)
        cells = [values[name] for name in header]
        text = [
            safe_cell(cell)
            if i < dimensions and isinstance(cell, str)
            else ("" if cell is None else str(cell))
            for i, cell in enumerate(cells)
        ]
        writer.writerow(text)
    return out.getvalue()
