"""The stats report (docs/stats.md): clicks from the click rollups, conversions from the conversion table,
each grouped in SQL by the same dimensions, merged by key here.

Clicks come from the smallest rollup that has the report's dimensions and filters: the daily rollup without
webmaster (``click_rollup_daily_offer``: network, local day, offer, country) for the network-wide reports,
the daily rollup (``click_rollup_daily``: + webmaster) when the report groups or filters by webmaster (a
webmaster's own report always does), the daily rollup by sub1 (``click_rollup_daily_sub1``: network,
webmaster, local day, sub1) when it groups by sub1 without offer or country (a webmaster's sub1 report), and
the hourly rollup for the other reports by sub1. All give the same numbers: the daily rows are the hourly
ones summed per local day of the hour's start, and the API's periods are whole local days.

Days are the network's local days. The rollups count UTC hours, so a day's clicks are the hours whose start
falls on that local date: exact for whole-hour offsets; in half- and quarter-hour zones a day's clicks begin
30 or 45 minutes after local midnight. Conversions keep their exact time. The hourly path and the conversion
side map a timestamp to its day with a CASE that bisects the day boundaries computed here: the same SQL on
PostgreSQL and SQLite, and cheaper per row on PostgreSQL than ``AT TIME ZONE``.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from network.conversions.tables import Conversion
from network.errors import ValidationError
from network.money import from_minor
from network.offers.tables import Offer
from network.principal import Principal, Role
from network.stats.schemas import StatsReport, StatsRow
from network.tenants.tables import Network
from network.tracking.tables import (
    ClickRollupDaily,
    ClickRollupDailyOffer,
    ClickRollupDailySub1,
    ClickRollupHourly,
)
from rules.money import UnknownCurrencyError, minor_units

DIMENSIONS = ("day", "offer", "webmaster", "sub1", "sub2", "sub3", "sub4", "sub5", "country", "goal")
# The dimensions the click rollups have: grouped by any other one, click metrics are unknown (null).
CLICK_DIMENSIONS = frozenset({"day", "offer", "webmaster", "sub1", "country"})
# The dimensions of the daily rollups (there is no sub id filter, so only grouping by sub1 needs the hourly).
DAILY_DIMENSIONS = frozenset({"day", "offer", "webmaster", "country"})
OFFER_DIMENSIONS = frozenset({"day", "offer", "country"})
# The daily rollup with sub1 has no offer or country: it serves reports by sub1 without offer filters.
SUB1_DIMENSIONS = frozenset({"day", "webmaster", "sub1"})
# Which rollup a report reads clicks from: chosen by rollup_for ("auto"), or forced (tests, benchmark).
ROLLUPS = ("auto", "hourly", "daily", "daily_offer", "daily_sub1")
# Field of each dimension in a row.
FIELDS = {"offer": "offer_id", "webmaster": "webmaster_id"}
MAX_DIMENSIONS = 3
# Parts the conversion side of a network-wide report by day is cut into on PostgreSQL (parts_for).
CONVERSION_PARTS = 2
MAX_ROWS = 10_000
MAX_DAYS = 366
DEFAULT_DAYS = 7
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)
STATUSES = ("pending", "hold", "approved", "rejected", "reversed")
# Conversions whose money counts (the same as the ledger's: billable, not rejected or reversed), and those
# that count as converted for CR.
EARNING = ("pending", "hold", "approved")
RATIO = Decimal("0.0001")
# Rows of the conversion query per key and currency at most: one per status.
CONVERSION_SPLIT = len(STATUSES)
TOO_MANY = (
    f"the report would have more than {MAX_ROWS:,} rows: narrow the date range, filter by offer, webmaster "
    "or country, or group by fewer dimensions"
)


@dataclass(frozen=True)
class StatsQuery:
    date_from: date | None = None
    date_to: date | None = None
    group_by: str = "day"
    offer_id: int | None = None
    webmaster_id: int | None = None
    country: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Period:
    """Local days ``first`` .. ``first + days - 1``; bound ``i`` (0..days) starts day ``i`` in UTC:
    ``conversions`` at local midnight exactly, ``clicks`` at the first rollup hour starting on that day."""

    first: date
    days: int
    conversions: list[datetime]
    clicks: list[datetime]

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)


def parse_group_by(raw: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    unknown = [name for name in names if name not in DIMENSIONS]
    if unknown:
        raise ValidationError(
            f"group_by: unknown dimension {unknown[0][:40]!r}; use up to {MAX_DIMENSIONS} of "
            + ", ".join(DIMENSIONS),
            field="group_by",
        )
    if len(set(names)) != len(names):
        raise ValidationError("group_by: a dimension is named twice", field="group_by")
    if len(names) > MAX_DIMENSIONS:
        raise ValidationError(f"group_by: at most {MAX_DIMENSIONS} dimensions", field="group_by")
    return names


def _hour_ceiling(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def period(date_from: date | None, date_to: date | None, zone: ZoneInfo, now: datetime) -> Period:
    last = date_to or now.astimezone(zone).date()
    first = date_from or last - timedelta(days=DEFAULT_DAYS - 1)
    for name, day in (("date_from", first), ("date_to", last)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError(f"{name}: must be between {FIRST_DAY} and {LAST_DAY}", field=name)
    if first > last:
        raise ValidationError("date_from: must not be after date_to", field="date_from")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise ValidationError(f"the period is at most {MAX_DAYS} days", field="date_from")
    midnights = [
        datetime.combine(first + timedelta(days=i), time(), tzinfo=zone).astimezone(UTC)
        for i in range(days + 1)
    ]
    return Period(first, days, midnights, [_hour_ceiling(m) for m in midnights])


class _Sql:
    """Collects bind values in the order their ``{}`` placeholders appear (piccolo's raw query style)."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def bind(self, value: Any) -> str:
        self.args.append(value)
        return "{}"

    def day_index(self, column: str, bounds: Sequence[datetime], lo: int = 0, hi: int | None = None) -> str:
        """0-based day of ``column``, known to lie in [bounds[lo], bounds[hi]) (by default the whole period):
        a CASE bisecting the bounds, so a row pays log2(days) comparisons."""

        def split(lo: int, hi: int) -> str:
            if hi - lo == 1:
                return str(lo)
            mid = (lo + hi) // 2
            below = self.bind(bounds[mid])
            return f"CASE WHEN {column} < {below} THEN {split(lo, mid)} ELSE {split(mid, hi)} END"

        return split(lo, len(bounds) - 1 if hi is None else hi)


@dataclass(frozen=True)
class _Scope:
    tenant_id: int
    advertiser_id: int | None
    offer_id: int | None
    webmaster_id: int | None
    country: str | None


def _scope(principal: Principal, query: StatsQuery) -> _Scope:
    webmaster_id = query.webmaster_id
    if principal.role is Role.WEBMASTER:
        if webmaster_id is not None and webmaster_id != principal.webmaster_id:
            raise ValidationError(
                "webmaster_id: webmasters see their own statistics only", field="webmaster_id"
            )
        webmaster_id = principal.webmaster_id
    advertiser_id = principal.advertiser_id if principal.role is Role.ADVERTISER else None
    country = query.country.upper() if query.country else None
    return _Scope(principal.network_id, advertiser_id, query.offer_id, webmaster_id, country)


def _filters(sql: _Sql, scope: _Scope, time_column: str, start: date, end: date) -> str:
    parts = [
        f"network = {sql.bind(scope.tenant_id)}",
        f"{time_column} >= {sql.bind(start)}",
        f"{time_column} < {sql.bind(end)}",
    ]
    for column, value in (
        ("offer", scope.offer_id),
        ("webmaster", scope.webmaster_id),
        ("country", scope.country),
    ):
        if value is not None:
            parts.append(f"{column} = {sql.bind(value)}")
    return " AND ".join(parts)


def _grouped(
    table: str, columns: Sequence[str], where: str, group: int, *, postgres: bool, limit: int = MAX_ROWS + 1
) -> str:
    # Only constants reach the text (table and column names, placeholders, numbers): every value is bound.
    text = f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"  # noqa: S608
    if not group:
        return text
    text += f" GROUP BY {', '.join(str(i) for i in range(1, group + 1))}"
    # PostgreSQL plans a query for its LIMIT: to give the first groups soon, it walks an index in group order
    # (random reads over the whole period: 13 s instead of 2 s for webmaster,day over a month of rollups). A
    # materialized CTE is planned for all of its rows; the LIMIT then only caps what is fetched.
    fence = "MATERIALIZED " if postgres else ""
    return f"WITH g AS {fence}({text}) SELECT * FROM g LIMIT {limit}"  # noqa: S608


def uses_daily(dims: Sequence[str]) -> bool:
    """Whether a report grouped by ``dims`` reads its clicks from a daily rollup without sub1."""
    return DAILY_DIMENSIONS.issuperset(dims)


def rollup_for(
    dims: Sequence[str],
    *,
    webmaster_id: int | None = None,
    offer_id: int | None = None,
    country: str | None = None,
    advertiser_id: int | None = None,
) -> str:
    """The smallest rollup that serves a report grouped by ``dims`` with these filters (``advertiser_id``:
    an advertiser's report, limited to its offers)."""
    if not uses_daily(dims):
        by_offer = offer_id is not None or country is not None or advertiser_id is not None
        return "daily_sub1" if SUB1_DIMENSIONS.issuperset(dims) and not by_offer else "hourly"
    if webmaster_id is None and OFFER_DIMENSIONS.issuperset(dims):
        return "daily_offer"
    return "daily"


def _rollup_of(dims: Sequence[str], scope: _Scope) -> str:
    return rollup_for(
        dims,
        webmaster_id=scope.webmaster_id,
        offer_id=scope.offer_id,
        country=scope.country,
        advertiser_id=scope.advertiser_id,
    )


_ROLLUP_TABLES = {
    "hourly": ClickRollupHourly,
    "daily": ClickRollupDaily,
    "daily_offer": ClickRollupDailyOffer,
    "daily_sub1": ClickRollupDailySub1,
}


def _click_where(
    sql: _Sql, dims: Sequence[str], scope: _Scope, span: Period, rollup: str
) -> tuple[list[str], str]:
    """The click query's grouping expressions and its WHERE clause (values bound to ``sql``)."""
    if rollup != "hourly":
        # Local dates are the daily rollup's own key: the days first .. last, no bounds to bisect.
        select = list(dims)
        after = span.last + timedelta(days=1)
        where = _filters(sql, scope, "day", span.first, after)
    else:
        select = [sql.day_index("hour", span.clicks) if d == "day" else d for d in dims]
        where = _filters(sql, scope, "hour", span.clicks[0], span.clicks[-1])
    if scope.advertiser_id is not None:
        tenant, advertiser = sql.bind(scope.tenant_id), sql.bind(scope.advertiser_id)
        offers = Offer._meta.tablename
        where += (
            f" AND offer IN (SELECT id FROM {offers} WHERE network = {tenant} AND advertiser = {advertiser})"  # noqa: S608
        )
    return select, where


def _click_sql(
    dims: Sequence[str], scope: _Scope, span: Period, *, postgres: bool, rollup: str
) -> tuple[str, list[Any]]:
    sql = _Sql()
    select, where = _click_where(sql, dims, scope, span, rollup)
    columns = [
        *(f"{expr} AS d{i}" for i, expr in enumerate(select)),
        *(f"SUM({m}) AS {m}" for m in ("clicks", "unique_clicks", "invalid_clicks")),
    ]
    table = _ROLLUP_TABLES[rollup]._meta.tablename
    return _grouped(table, columns, where, len(dims), postgres=postgres), sql.args


def _probe_sql(dims: Sequence[str], scope: _Scope, span: Period, rollup: str) -> tuple[str, list[Any]]:
    """How many keys the click side has, counted up to MAX_ROWS + 1 only: a report over the cap is refused
    on this count instead of after both sides were grouped and fetched. On a daily rollup grouped by
    webmaster and day, PostgreSQL walks the index ``(network, webmaster, day)`` (index only) and stops at
    the cap: 25 ms for a month of 616k daily rows (docs/benchmarks/stats.md)."""
    sql = _Sql()
    select, where = _click_where(sql, dims, scope, span, rollup)
    table = _ROLLUP_TABLES[rollup]._meta.tablename
    groups = ", ".join(select)
    text = f"SELECT 1 FROM {table} WHERE {where} GROUP BY {groups} LIMIT {MAX_ROWS + 1}"  # noqa: S608
    return f"SELECT count(*) AS n FROM ({text}) k", sql.args  # noqa: S608


def _conversion_sql(
    dims: Sequence[str], scope: _Scope, span: Period, *, postgres: bool, days: tuple[int, int] | None = None
) -> tuple[str, list[Any]]:
    """The conversion side's query; ``days``: only the days lo .. hi - 1 of the period (a part, below)."""
    sql = _Sql()
    lo, hi = days or (0, span.days)
    select = [sql.day_index("created_at", span.conversions, lo, hi) if d == "day" else d for d in dims]
    where = _filters(sql, scope, "created_at", span.conversions[lo], span.conversions[hi])
    if scope.advertiser_id is not None:
        where += f" AND advertiser = {sql.bind(scope.advertiser_id)}"
    # Grouped by status too, with three aggregates, and pivoted in _merge: 10-25 % faster on PostgreSQL than
    # one row per key with a SUM(CASE ..) per status (docs/benchmarks/stats.md). A key and currency has at
    # most CONVERSION_SPLIT rows, so the cap keeps its meaning: more than MAX_ROWS (key, currency) pairs is
    # too many.
    columns = [
        *(f"{expr} AS d{i}" for i, expr in enumerate(select)),
        "currency",
        "status",
        "COUNT(*) AS n",
        "SUM(payout) FILTER (WHERE billable) AS payout",
        "SUM(revenue) FILTER (WHERE billable) AS revenue",
    ]
    text = _grouped(
        Conversion._meta.tablename,
        columns,
        where,
        len(dims) + 2,
        postgres=postgres,
        limit=(MAX_ROWS + 1) * CONVERSION_SPLIT,
    )
    return text, sql.args


@dataclass
class _Acc:
    clicks: int | None = None
    unique_clicks: int | None = None
    invalid_clicks: int | None = None
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    payout: int = 0
    revenue: int = 0

    def add(self, other: _Acc) -> None:
        if other.clicks is not None:
            self.clicks = (self.clicks or 0) + other.clicks
            self.unique_clicks = (self.unique_clicks or 0) + (other.unique_clicks or 0)
            self.invalid_clicks = (self.invalid_clicks or 0) + (other.invalid_clicks or 0)
        for status, n in other.statuses.items():
            self.statuses[status] += n
        self.payout += other.payout
        self.revenue += other.revenue


Key = tuple[Any, ...]


def _key(row: dict[str, Any], dims: Sequence[str], span: Period) -> Key:
    values: list[Any] = []
    for i, dim in enumerate(dims):
        value = row[f"d{i}"]
        if dim == "day":
            # The hourly path gives a day's index in the period; the daily one the date (text on SQLite).
            if isinstance(value, str):
                value = date.fromisoformat(value)
            elif not isinstance(value, date):
                value = span.first + timedelta(days=int(value))
        elif dim == "offer":
            # The rollups keep offer 0 for clicks that reached no offer.
            value = int(value) or None
        elif dim == "webmaster":
            value = int(value)
        values.append(value)
    return tuple(values)


def _merge(
    click_rows: list[dict[str, Any]] | None,
    conversion_rows: list[dict[str, Any]],
    dims: Sequence[str],
    span: Period,
    currency: str,
) -> tuple[dict[Key, _Acc], set[str]]:
    rows: dict[Key, _Acc] = {}
    zero = 0 if click_rows is not None else None
    for row in click_rows or []:
        if row["clicks"] is None:  # no grouping and no clicks: SUM over nothing
            continue
        acc = rows.setdefault(_key(row, dims, span), _Acc())
        acc.add(_Acc(int(row["clicks"]), int(row["unique_clicks"]), int(row["invalid_clicks"]), statuses={}))
    others: set[str] = set()
    names = [f"d{i}" for i in range(len(dims))]
    seen: dict[Key, _Acc] = {}  # by the values as fetched: up to CONVERSION_SPLIT rows per key
    for row in conversion_rows:  # one row per key, currency and status
        raw = tuple(row[n] for n in names)
        target = seen.get(raw)
        if target is None:
            target = seen[raw] = rows.setdefault(_key(row, dims, span), _Acc(zero, zero, zero))
        status = row["status"]
        if status in target.statuses:
            target.statuses[status] += int(row["n"])
        if row["currency"] != currency:
            others.add(row["currency"])
        elif status in EARNING:  # the sums are over billable conversions only (NULL: none)
            target.payout += int(row["payout"] or 0)
            target.revenue += int(row["revenue"] or 0)
    if not dims and not rows:
        rows[()] = _Acc(zero, zero, zero)
    return rows, others


def _ratio(numerator: Decimal, denominator: int | None) -> str | None:
    if not denominator:
        return None
    return str((numerator / denominator).quantize(RATIO, rounding=ROUND_HALF_EVEN))


def _row(key: Key, dims: Sequence[str], acc: _Acc, principal: Principal, currency: str) -> StatsRow:
    converted = sum(acc.statuses[s] for s in EARNING)
    payout = from_minor(acc.payout, currency)
    revenue = from_minor(acc.revenue, currency)
    show_payout = principal.role is not Role.ADVERTISER
    show_revenue = principal.role is not Role.WEBMASTER
    values: dict[str, Any] = {FIELDS.get(dim, dim): value for dim, value in zip(dims, key, strict=True)}
    n = acc.statuses
    return StatsRow(
        **values,
        clicks=acc.clicks,
        unique_clicks=acc.unique_clicks,
        invalid_clicks=acc.invalid_clicks,
        conversions=sum(n.values()),
        pending=n["pending"],
        hold=n["hold"],
        approved=n["approved"],
        rejected=n["rejected"],
        reversed=n["reversed"],
        cr=_ratio(Decimal(converted), acc.unique_clicks),
        epc=_ratio(payout, acc.clicks) if show_payout else None,
        payout=str(payout) if show_payout else None,
        revenue=str(revenue) if show_revenue else None,
        profit=str(revenue - payout) if principal.is_staff else None,
    )


def _sort_key(key: Key) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is None, value) for value in key)


async def _fetch(
    text: str, args: list[Any], probe: tuple[str, list[Any]] | None = None
) -> list[dict[str, Any]]:
    """The rows of a query; with ``probe`` (a count of keys, see _probe_sql), first that count, on the same
    connection: over MAX_ROWS, the report is refused without running the query."""
    engine = ClickRollupHourly._meta.db

    async def run() -> list[dict[str, Any]]:
        if probe is not None:
            _refuse_over_cap((await ClickRollupHourly.raw(probe[0], *probe[1]))[0]["n"])
        rows: list[dict[str, Any]] = await ClickRollupHourly.raw(text, *args)
        return rows

    if engine.engine_type != "postgres":
        return await run()
    # asyncpg prepares each statement once per connection, and after five runs PostgreSQL may keep a generic
    # plan, blind to the period and ids (10x slower in benchmarks/stats_bench.py): plan every report afresh.
    async with engine.transaction():
        await ClickRollupHourly.raw("SET LOCAL plan_cache_mode = force_custom_plan")
        return await run()


def _refuse_over_cap(keys: int) -> None:
    if keys > MAX_ROWS:
        raise ValidationError(TOO_MANY, max_rows=MAX_ROWS)


async def _click_rows(
    dims: Sequence[str], scope: _Scope, span: Period, *, postgres: bool, rollup: str
) -> list[dict[str, Any]]:
    probe = None
    unfiltered = scope == _Scope(scope.tenant_id, None, None, None, None)
    if rollup != "hourly" and unfiltered and set(dims) - {"day"}:
        # Counted first only for the network-wide reports on a daily rollup grouped by more than days (at
        # most 366 rows): those are the ones over the cap, and there the count runs while the conversions of
        # the whole network are grouped on the other connection. On the hourly rollup, or filtered (no index
        # to stop early on), the count can cost as much as the query (+50 ms for webmaster,day of one offer):
        # those reports are refused when the click query's rows pass the cap, which cancels the conversion
        # side too (_together).
        probe = _probe_sql(dims, scope, span, rollup)
    rows = await _fetch(*_click_sql(dims, scope, span, postgres=postgres, rollup=rollup), probe)
    _refuse_over_cap(len(rows))
    return rows


def parts_for(dims: Sequence[str], scope: _Scope, *, postgres: bool) -> int:
    """How many runs of days the conversion side is cut into: CONVERSION_PARTS on PostgreSQL for a report by
    day over every webmaster and offer, where the day of each of the network's conversions is computed (a
    CASE per row) and most of the time goes there (two halves at once: 190 -> 135-144 ms for 200k
    conversions); else 1. Not for the other reports: a part reads its days through the index (network,
    created_at), slower than one scan of the whole period (offer 115 -> 183 ms; docs/benchmarks/stats.md)."""
    broad = "day" in dims and scope.webmaster_id is None and scope.offer_id is None
    return CONVERSION_PARTS if postgres and broad else 1


def parts_of(days: int, parts: int) -> list[tuple[int, int]]:
    """The period's days cut into at most ``parts`` runs of consecutive days, as even as they come."""
    count = max(1, min(parts, days))
    edges = [days * i // count for i in range(count + 1)]
    return list(itertools.pairwise(edges))


async def _conversion_rows(
    dims: Sequence[str], scope: _Scope, span: Period, *, postgres: bool, parts: int = 1
) -> list[dict[str, Any]]:
    """The conversion side's rows; with ``parts`` > 1 the period is cut into that many runs of days, each
    grouped on its own connection at once (a key of several parts comes back once per part; _merge adds
    them up)."""
    pieces = parts_of(span.days, parts)
    if len(pieces) == 1:
        rows = await _fetch(*_conversion_sql(dims, scope, span, postgres=postgres))
    else:
        queries = [_fetch(*_conversion_sql(dims, scope, span, postgres=postgres, days=p)) for p in pieces]
        rows = [row for part in await _together(*queries) for row in part]
    names = [f"d{i}" for i in range(len(dims))]
    _refuse_over_cap(len({(*(r[n] for n in names), r["currency"]) for r in rows}))
    return rows


async def _together(*queries: Coroutine[Any, Any, list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """The queries at once (each on its own connection); the first to fail (a report over the cap: the click
    side's count comes back long before the conversions are grouped) cancels the others."""
    tasks = [asyncio.ensure_future(query) for query in queries]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        pending = [task for task in tasks if not task.done()]
        for task in pending:
            task.cancel()
        # Waits for the cancelled queries to end (asyncpg cancels them on the server) and their connections
        # to return to the pool.
        await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error
    return [task.result() for task in tasks]


async def report(
    principal: Principal,
    query: StatsQuery,
    *,
    now: datetime | None = None,
    rollup: str = "auto",
    conversion_parts: int | None = None,
) -> StatsReport:
    """The report. ``rollup`` forces the click rollup (one of ``ROLLUPS``; the tests and the benchmark
    compare them): "hourly", or "daily" where "daily_offer" serves (else the one "auto" picks).
    ``conversion_parts`` forces how many parts the conversion side is cut into (else ``parts_for``'s, outside
    a caller's transaction; 1 inside one)."""
    if rollup not in ROLLUPS:
        raise ValueError(f"rollup: one of {', '.join(ROLLUPS)}")
    dims = parse_group_by(query.group_by)
    network = await Network.select(Network.timezone, Network.currency).where(
        Network.id == principal.network_id
    )
    zone_name, home = network[0]["timezone"], network[0]["currency"]
    currency = (query.currency or home).upper()
    try:
        minor_units(currency)
    except UnknownCurrencyError as exc:
        raise ValidationError(
            f"currency: {currency[:8]} is not a supported currency", field="currency"
        ) from exc
    span = period(query.date_from, query.date_to, ZoneInfo(zone_name), now or datetime.now(UTC))
    scope = _scope(principal, query)
    with_clicks = CLICK_DIMENSIONS.issuperset(dims)
    chosen = _rollup_of(dims, scope)
    if rollup == "hourly" or (rollup == "daily" and chosen == "daily_offer"):
        chosen = rollup
    engine = ClickRollupHourly._meta.db
    postgres = engine.engine_type == "postgres"
    click_rows: list[dict[str, Any]] | None = None
    alone = engine.current_transaction.get() is not None  # a caller's transaction has one connection
    parts = 1 if alone else conversion_parts or parts_for(dims, scope, postgres=postgres)
    conversions = functools.partial(_conversion_rows, dims, scope, span, postgres=postgres, parts=parts)
    if not with_clicks:
        conversion_rows = await conversions()
    elif not alone:
        # Each side on its own connection(s), so both run at once.
        click_rows, conversion_rows = await _together(
            _click_rows(dims, scope, span, postgres=postgres, rollup=chosen), conversions()
        )
    else:
        click_rows = await _click_rows(dims, scope, span, postgres=postgres, rollup=chosen)
        conversion_rows = await conversions()
    merged, others = _merge(click_rows, conversion_rows, dims, span, currency)
    if len(merged) > MAX_ROWS:
        raise ValidationError(TOO_MANY, max_rows=MAX_ROWS)
    totals = _Acc(0, 0, 0) if with_clicks else _Acc()
    for acc in merged.values():
        totals.add(acc)
    return StatsReport(
        date_from=span.first,
        date_to=span.last,
        timezone=zone_name,
        currency=currency,
        group_by=list(dims),
        rows=[_row(key, dims, merged[key], principal, currency) for key in sorted(merged, key=_sort_key)],
        totals=_row((), (), totals, principal, currency),
        other_currencies=sorted(others),
    )
