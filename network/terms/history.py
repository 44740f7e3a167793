"""An offer's past conversions as backtest samples: the exact context each one was priced with.

Every conversion stores the context its terms rules read (``Conversion.pricing_context``), so a backtest
replays precisely what happened. Included: the offer's billable conversions created in the date range (the
network's days) that have a stored context. Left out, and counted: conversions that were not billable (a
fraud-flagged click, an expired click, click-to-conversion time out of bounds: they pay nothing whatever the
terms say) and conversions priced without rules (no terms in force at click time).

``conversion.count_this_month`` is in a stored context only when the rules in force read it. When a draft
reads it and a conversion's context lacks it, it is recounted as the pricing does: the same webmaster's
approved conversions on the offer created earlier that month (the network's month), by today's statuses.
"""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from network.conversions.tables import Conversion
from rules import parse_rule

PAGE = 2000
MAX_DAYS = 366


def day_range(date_from: date, date_to: date, timezone: str) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in the network's time zone."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


@dataclass
class History:
    tenant_id: int
    offer_id: int
    start: datetime
    end: datetime
    timezone: str
    needs_month_count: bool = False
    skipped_not_billable: int = 0
    skipped_no_rules: int = 0
    _approved: dict[tuple[int, int, int], list[datetime]] = field(default_factory=dict)

    def _where(self) -> Any:
        return (
            (Conversion.network == self.tenant_id)
            & (Conversion.offer == self.offer_id)
            & (Conversion.created_at >= self.start)
            & (Conversion.created_at < self.end)
        )

    async def count(self) -> int:
        return int(await Conversion.count().where(self._where()))

    async def _approved_before(self, webmaster_id: int, at: datetime) -> int:
        local = at.astimezone(ZoneInfo(self.timezone))
        key = (webmaster_id, local.year, local.month)
        times = self._approved.get(key)
        if times is None:
            month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            rows = await Conversion.select(Conversion.created_at).where(
                (Conversion.network == self.tenant_id)
                & (Conversion.offer == self.offer_id)
                & (Conversion.webmaster == webmaster_id)
                & (Conversion.status == "approved")
                & (Conversion.created_at >= month_start)
            )
            times = self._approved[key] = sorted(r["created_at"] for r in rows)
        return bisect.bisect_left(times, at)

    async def samples(self) -> AsyncIterator[dict[str, Any]]:
        """The contexts, oldest first, read a page at a time."""
        after = 0
        while True:
            rows = (
                await Conversion.select(
                    Conversion.id,
                    Conversion.webmaster,
                    Conversion.created_at,
                    Conversion.billable,
                    Conversion.pricing_context,
                )
                .where(self._where() & (Conversion.id > after))
                .order_by(Conversion.id)
                .limit(PAGE)
            )
            if not rows:
                return
            for row in rows:
                after = int(row["id"])
                raw = row["pricing_context"]
                context = parse_rule(raw) if isinstance(raw, str | bytes) else raw
                if not row["billable"]:
                    self.skipped_not_billable += 1
                    continue
                if not isinstance(context, dict) or not context:
                    self.skipped_no_rules += 1
                    continue
                conversion = context.setdefault("conversion", {})
                if self.needs_month_count and "count_this_month" not in conversion:
                    conversion["count_this_month"] = await self._approved_before(
                        int(row["webmaster"]), row["created_at"]
                    )
                yield context
