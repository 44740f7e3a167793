"""Payout batch CSV for the people who pay: one row per withdrawal, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

HEADER = (
    "withdrawal_id",
    "webmaster_id",
    "webmaster_name",
    "amount",
    "currency",
    "details",
    "requested_at",
    "approved_at",
)
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP "CSV
# injection"); a leading apostrophe makes it text. Tab and carriage return start formulas in some of them too.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def render(rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
