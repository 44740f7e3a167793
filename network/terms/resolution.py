"""Which terms version applies to whom and when: pure functions over version rows.

The most specific scope wins (a webmaster's private deal, then a group's terms, then the offer's); within a
scope, the latest version whose ``effective_from`` has passed. A click pins the version in force at click
time, so a later change never reprices its conversions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

Row = dict[str, Any]
SPECIFICITY = {"offer": 0, "group": 1, "webmaster": 2}


def applies_to(row: Row, webmaster_id: int, group_ids: Iterable[int]) -> bool:
    if row["scope"] == "offer":
        return True
    if row["scope"] == "group":
        return row["group"] in set(group_ids)
    return bool(row["webmaster"] == webmaster_id)


def _rank(row: Row) -> tuple[int, datetime, int]:
    return SPECIFICITY[row["scope"]], row["effective_from"], int(row["number"])


def in_force(rows: Sequence[Row], webmaster_id: int, group_ids: Iterable[int], at: datetime) -> Row | None:
    groups = set(group_ids)
    candidates = [r for r in rows if r["effective_from"] <= at and applies_to(r, webmaster_id, groups)]
    return max(candidates, key=_rank, default=None)


def upcoming(rows: Sequence[Row], webmaster_id: int, group_ids: Iterable[int], now: datetime) -> list[Row]:
    """Future versions that will actually take over for this webmaster when their date comes."""
    groups = set(group_ids)
    future = sorted(
        (r for r in rows if r["effective_from"] > now), key=lambda r: (r["effective_from"], r["number"])
    )
    return [r for r in future if in_force(rows, webmaster_id, groups, r["effective_from"]) is r]


def target(row: Row) -> tuple[str, Any]:
    return row["scope"], row["group"] if row["scope"] == "group" else row["webmaster"]


def states(rows: Sequence[Row], now: datetime) -> dict[int, str]:
    """in_force / upcoming / superseded, per scope target (the offer, a group, a webmaster)."""
    out: dict[int, str] = {}
    latest: dict[tuple[str, Any], Row] = {}
    for row in rows:
        if row["effective_from"] > now:
            out[row["id"]] = "upcoming"
            continue
        key = target(row)
        if key not in latest or _rank(row) > _rank(latest[key]):
            latest[key] = row
    for row in rows:
        if row["id"] not in out:
            out[row["id"]] = "in_force" if latest.get(target(row)) is row else "superseded"
    return out
