"""Fraud cases for staff: invalid (fraud-flagged) clicks grouped by webmaster, sub id and IP address, with
the evidence (the fraud signals decoded from ``fraud_flags``, counts, first and last seen, a few sample
clicks), and the daily invalid share from the hourly rollups. Always inside the reader's own network.

The grouping runs in SQL on (webmaster, sub1, ip, fraud_flags), so each distinct flag set is one row; the
flag sets of one (webmaster, sub1, ip) are folded here, since SQLite has no bitwise OR aggregate. Staff
decide on a case with the accounts service (a ban); the click engine's block lists (fastpath ListsSpec) have
no service in network/ that maintains them yet.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count, Max, Min

from fastpath.reasons import FraudFlag
from network.errors import PermissionDeniedError
from network.principal import Principal
from network.tenants.tables import Network
from network.tracking.tables import Click, ClickRollupHourly, ClickRollupInvalidHourly

DEFAULT_DAYS = 7
MAX_DAYS = 90
MAX_GROUPS = 5_000
SAMPLES = 3
# Signal names in bit order, as reason codes (``bot_ua``, ``datacenter_ip`` ...).
SIGNALS = tuple(flag.name.lower() for flag in FraudFlag if flag.value and flag.name)


def signals(flags: int) -> list[str]:
    """The fraud signals a flag set holds, as reason codes, in bit order."""
    return [flag.name.lower() for flag in FraudFlag if flag.value and flags & flag.value and flag.name]


@dataclass(frozen=True)
class SampleClick:
    click_id: str
    at: datetime
    offer_id: int | None
    user_agent: str
    referrer: str
    country: str
    score: int
    signals: list[str]


@dataclass
class FraudCase:
    webmaster_id: int
    sub1: str
    ip: str
    clicks: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    # How many of the case's clicks carry each signal.
    signal_counts: dict[str, int] = field(default_factory=dict)
    samples: list[SampleClick] = field(default_factory=list)

    @property
    def key(self) -> str:
        digest = hashlib.sha256(f"{self.sub1}\n{self.ip}".encode()).hexdigest()[:10]
        return f"{self.webmaster_id}-{digest}"


@dataclass(frozen=True)
class DayShare:
    day: date
    clicks: int
    invalid: int


@dataclass(frozen=True)
class FraudReport:
    since: datetime
    days: int
    cases: list[FraudCase]
    total_cases: int
    invalid_clicks: int
    daily: list[DayShare]
    # Invalid clicks per rollup reason over the period (the hourly invalid rollup).
    by_reason: dict[str, int]


def _aware(value: Any) -> datetime:
    moment: datetime = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _zone(tenant_id: int) -> ZoneInfo:
    row = await Network.select(Network.timezone).where(Network.id == tenant_id).first()
    return ZoneInfo(row["timezone"]) if row else ZoneInfo("UTC")


async def cases(
    principal: Principal,
    *,
    days: int = DEFAULT_DAYS,
    webmaster_id: int | None = None,
    limit: int = 25,
    now: datetime | None = None,
) -> FraudReport:
    """The largest fraud cases of the last ``days`` days, most invalid clicks first."""
    if not principal.is_staff:
        raise PermissionDeniedError("only staff can read fraud cases")
    tenant = principal.network_id
    days = max(1, min(days, MAX_DAYS))
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    where: Any = (Click.network == tenant) & (Click.created_at >= since) & (Click.valid == False)  # noqa: E712
    if webmaster_id is not None:
        where &= Click.webmaster == webmaster_id
    rows = (
        await Click.select(
            Click.webmaster,
            Click.sub1,
            Click.ip,
            Click.fraud_flags,
            Count(Click.id, alias="n"),
            Min(Click.created_at, alias="first_at"),
            Max(Click.created_at, alias="last_at"),
        )
        .where(where)
        .group_by(Click.webmaster, Click.sub1, Click.ip, Click.fraud_flags)
        .limit(MAX_GROUPS)
    )
    found: dict[tuple[int, str, str], FraudCase] = {}
    for row in rows:
        key = (int(row["webmaster"]), str(row["sub1"]), str(row["ip"]))
        case = found.get(key) or found.setdefault(key, FraudCase(*key))
        n = int(row["n"])
        case.clicks += n
        first, last = _aware(row["first_at"]), _aware(row["last_at"])
        case.first_at = first if case.first_at is None else min(case.first_at, first)
        case.last_at = last if case.last_at is None else max(case.last_at, last)
        for name in signals(int(row["fraud_flags"])) or ["unflagged"]:
            case.signal_counts[name] = case.signal_counts.get(name, 0) + n
    ranked = sorted(found.values(), key=lambda c: (-c.clicks, c.webmaster_id, c.sub1, c.ip))
    top = ranked[:limit]
    for case in top:
        case.signal_counts = dict(sorted(case.signal_counts.items(), key=lambda kv: -kv[1]))
        sample_rows = (
            await Click.select(
                Click.click_id,
                Click.created_at,
                Click.offer,
                Click.user_agent,
                Click.referrer,
                Click.country,
                Click.fraud_score,
                Click.fraud_flags,
            )
            .where(where & (Click.webmaster == case.webmaster_id) & (Click.sub1 == case.sub1))
            .where(Click.ip == case.ip)
            .order_by(Click.created_at, ascending=False)
            .limit(SAMPLES)
        )
        case.samples = [
            SampleClick(
                str(r["click_id"]),
                _aware(r["created_at"]),
                r["offer"],
                str(r["user_agent"])[:200],
                str(r["referrer"])[:200],
                str(r["country"]),
                int(r["fraud_score"]),
                signals(int(r["fraud_flags"])),
            )
            for r in sample_rows
        ]
    daily, by_reason = await _rollups(tenant, since, days, webmaster_id, await _zone(tenant))
    return FraudReport(
        since=since,
        days=days,
        cases=top,
        total_cases=len(ranked),
        invalid_clicks=sum(c.clicks for c in ranked),
        daily=daily,
        by_reason=by_reason,
    )


async def _rollups(
    tenant: int, since: datetime, days: int, webmaster_id: int | None, zone: ZoneInfo
) -> tuple[list[DayShare], dict[str, int]]:
    """Clicks and invalid clicks per local day, and invalid clicks per reason, from the hourly rollups."""
    start = since.replace(minute=0, second=0, microsecond=0)
    where: Any = (ClickRollupHourly.network == tenant) & (ClickRollupHourly.hour >= start)
    invalid_where: Any = (ClickRollupInvalidHourly.network == tenant) & (
        ClickRollupInvalidHourly.hour >= start
    )
    if webmaster_id is not None:
        where &= ClickRollupHourly.webmaster == webmaster_id
        invalid_where &= ClickRollupInvalidHourly.webmaster == webmaster_id
    hours = await ClickRollupHourly.select(
        ClickRollupHourly.hour, ClickRollupHourly.clicks, ClickRollupHourly.invalid_clicks
    ).where(where)
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for row in hours:
        day = _aware(row["hour"]).astimezone(zone).date()
        totals[day][0] += int(row["clicks"])
        totals[day][1] += int(row["invalid_clicks"])
    last = datetime.now(UTC).astimezone(zone).date()
    daily = [
        DayShare(d, totals[d][0], totals[d][1])
        for d in (last - timedelta(days=i) for i in range(days - 1, -1, -1))
    ]
    reasons: dict[str, int] = defaultdict(int)
    for row in await ClickRollupInvalidHourly.select(
        ClickRollupInvalidHourly.reason, ClickRollupInvalidHourly.clicks
    ).where(invalid_where):
        reasons[str(row["reason"])] += int(row["clicks"])
    return daily, dict(sorted(reasons.items(), key=lambda kv: -kv[1]))
