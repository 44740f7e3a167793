"""Storing clicks: one batch per call, idempotent on click_id (delivery is at least once), and the hourly
and daily rollups in the same transaction, fed only by the clicks that were new (docs/clicks.md, "Storage").

The daily rollup (``click_rollup_daily``, read by the stats report) is the hourly one summed per local day of
the network and without sub1: each hourly row counts on the network's local date of its UTC hour's start;
``click_rollup_daily_offer`` is the same without webmaster; ``click_rollup_daily_sub1`` the hourly rows
summed per webmaster, local day and sub1 only. A time zone change rebuilds the network's daily rows (the
three tables) from its hourly ones (``rebuild_daily``, called by
network.tenants.service in the transaction that changes the zone). On PostgreSQL each batch first takes a
shared advisory lock per network (``DAILY_LOCK``) and the rebuild an exclusive one, so a batch either
commits before the rebuild reads the hourly rows or reads the new zone after the rebuild committed.

PostgreSQL: the batch is COPYed straight into the partitioned ``click`` table inside a savepoint, then one
statement, given what the rollups read of the batch as arrays, records the first visitors
(``click_unique_hourly``) and upserts the rollups, aggregated in SQL. If the COPY meets a click id already
stored (a redelivery), the savepoint is rolled back and the batch goes through a temporary staging table:
``INSERT .. ON CONFLICT DO NOTHING RETURNING`` feeds the same rollup statement with only the new clicks.
SQLite: the same steps as separate statements over a temporary table, inside one IMMEDIATE transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from piccolo.columns import BigInt, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import Column
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from fastpath.reasons import FraudFlag
from network.errors import ValidationError
from network.tenants.tables import Network
from network.tracking import partitions
from network.tracking.events import ClickEvent
from network.tracking.tables import Click, ClickRollupDaily

SUBS = 10
# The click columns in the order of ``record`` (every column but ``id``, which the sequence fills).
COLUMNS: tuple[str, ...] = (
    "click_id",
    "network",
    "offer",
    "webmaster",
    "landing",
    "terms_version",
    "created_at",
    "is_trafficback",
    "reason",
    "valid",
    "fraud_flags",
    "fraud_score",
    "ip",
    "user_agent",
    "referrer",
    "country",
    "device",
    "os",
    "visitor_id",
    "source",
    "creative_id",
    *(f"sub{i}" for i in range(1, SUBS + 1)),
)
_CREATED_AT, _USER_AGENT, _SUB1 = (
    COLUMNS.index("created_at"),
    COLUMNS.index("user_agent"),
    COLUMNS.index("sub1"),
)
_EMPTY_SUBS = ("",) * SUBS
_COLS = ", ".join(COLUMNS)
# Invalid clicks are counted per fraud flag, or under their own reason (bad_link) when no flag is set.
_FLAGS = ", ".join(f"({int(f)}, '{f.name.lower()}')" for f in FraudFlag if f.name and f != FraudFlag.NONE)
_KEY = "network, offer, webmaster, sub1, country, hour"
_DAILY_KEY = "network, day, offer, webmaster, country"
_OFFER_KEY = "network, day, offer, country"
_SUB1_KEY = "network, webmaster, day, sub1"
# Advisory lock class (pg_advisory_xact_lock(int, int)) of a network's daily rows: shared by click storage,
# exclusive for a rebuild. The second key is the network id modulo 2^31 (a collision only makes one wait).
DAILY_LOCK = 0x63706E64
_NETWORK = Network._meta.tablename


def record(event: ClickEvent) -> tuple[Any, ...]:
    """The click's column values, in ``COLUMNS`` order."""
    subs = event.subs
    if len(subs) != SUBS:
        subs = (subs + _EMPTY_SUBS)[:SUBS]
    return (
        event.click_id,
        event.network_id,
        event.offer_id,
        event.webmaster_id,
        event.landing_id,
        event.terms_version_id,
        datetime.fromtimestamp(event.ts, UTC),
        event.is_trafficback,
        event.reason,
        event.valid,
        event.fraud_flags,
        event.fraud_score,
        event.ip,
        event.user_agent[:2000],
        event.referrer[:2000],
        event.country,
        event.device,
        event.os,
        event.visitor_id,
        event.source,
        event.creative_id,
        *subs,
    )


def visitor_key(visitor_id: str, ip: str, user_agent: str) -> str:
    """Who a unique click is unique for: the visitor cookie, else a hash of IP and user agent (the same
    expression as ``_VISITOR_SQL``; ``user_agent`` as stored, i.e. cut to 2,000 characters)."""
    if visitor_id:
        return visitor_id
    digest = hashlib.md5(f"{ip}\n{user_agent}".encode(), usedforsecurity=False).hexdigest()
    return f"h:{digest}"


def hour_of(ts: float) -> datetime:
    """The UTC hour of a click, from the same (microsecond-rounded) datetime that is stored as created_at."""
    return datetime.fromtimestamp(ts, UTC).replace(minute=0, second=0, microsecond=0)


def day_of(hour: datetime, zone: ZoneInfo) -> date:
    """The daily rollup's day of an hourly row: the network's local date at the start of the UTC hour (the
    same as PostgreSQL's ``(hour AT TIME ZONE zone)::date``, and the day the stats report's hourly path
    gives that hour, see network.stats.service.period)."""
    return hour.astimezone(zone).date()


def _lock_key(network_id: int) -> int:
    return network_id % 2_147_483_647


async def store(events: Sequence[ClickEvent]) -> int:
    """Store a batch; a click id already stored is skipped, so redelivery never duplicates a click nor
    counts it twice in the rollups. Returns how many clicks were new."""
    if not events:
        return 0
    engine = Click._meta.db
    if isinstance(engine, PostgresEngine):
        return await _store_postgres(engine, events)
    assert isinstance(engine, SQLiteEngine)
    return await _store_sqlite(engine, events)


# --- PostgreSQL ---------------------------------------------------------------------------------------------

# What the rollups read of a new click (the visitor key computed in Python), sent as one array per column.
NEW_COLUMNS = (
    ("click_id", "varchar"),
    ("created_at", "timestamptz"),
    ("network", "bigint"),
    ("offer", "bigint"),
    ("webmaster", "bigint"),
    ("sub1", "varchar"),
    ("country", "varchar"),
    ("valid", "boolean"),
    ("fraud_flags", "integer"),
    ("reason", "varchar"),
    ("visitor", "varchar"),
)
# Key columns compare bytewise on PostgreSQL (the migration gives the tables the same collation).
_COLLATE_C = {"click_id", "visitor_id", "visitor", "sub1", "country", "reason"}


def _pg_type(column: Column) -> str:
    if isinstance(column, Varchar):
        return f"varchar({column.length})"
    for kind, name in ((BigInt, "bigint"), (Integer, "integer"), (Boolean, "boolean"), (Text, "text")):
        if isinstance(column, kind):
            return name
    assert isinstance(column, Timestamptz), column
    return "timestamptz"


@cache
def staging_ddl() -> str:
    """The staging table of the redelivery path: temporary, so never WAL-logged; created once per connection
    and emptied at every commit."""
    collate = ' COLLATE "C"'
    spec = ", ".join(
        f"{n} {_pg_type(Click._meta.get_column_by_name(n))}{collate if n in _COLLATE_C else ''}"
        for n in COLUMNS
    )
    return f"CREATE TEMP TABLE IF NOT EXISTS click_staging ({spec}) ON COMMIT DELETE ROWS"


def _new_columns(events: Sequence[ClickEvent], records: list[tuple[Any, ...]]) -> list[list[Any]]:
    """The arrays of ``NEW_COLUMNS``, built column by column (cheaper than building rows and transposing)."""
    return [
        [e.click_id for e in events],
        [r[_CREATED_AT] for r in records],
        [e.network_id for e in events],
        [e.offer_id or 0 for e in events],
        [e.webmaster_id for e in events],
        [r[_SUB1] for r in records],
        [e.country for e in events],
        [e.valid for e in events],
        [e.fraud_flags for e in events],
        [e.reason for e in events],
        [e.visitor_id or visitor_key("", e.ip, r[_USER_AGENT]) for e, r in zip(events, records, strict=True)],
    ]


_FROM_ARRAYS = f"""
    SELECT network, offer, webmaster, sub1 COLLATE "C" AS sub1, country COLLATE "C" AS country,
        date_trunc('hour', created_at, 'UTC') AS hour, created_at, click_id COLLATE "C" AS click_id, valid,
        fraud_flags, reason COLLATE "C" AS reason, visitor COLLATE "C" AS visitor
    FROM unnest({", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(NEW_COLUMNS, 1))})
        AS t({", ".join(name for name, _ in NEW_COLUMNS)})
"""  # noqa: S608
_VISITOR_SQL = "CASE WHEN visitor_id <> '' THEN visitor_id ELSE 'h:' || md5(ip || chr(10) || user_agent) END"
_INSERT_RETURNING_NEW = f"""
    INSERT INTO click ({_COLS}) SELECT {_COLS} FROM click_staging
    ON CONFLICT DO NOTHING
    RETURNING network, COALESCE(offer, 0) AS offer, webmaster, sub1, country,
        date_trunc('hour', created_at, 'UTC') AS hour, created_at, click_id, valid, fraud_flags, reason,
        {_VISITOR_SQL} AS visitor
"""  # noqa: S608


def _pg_daily(cte: str, table: str, key: str) -> str:
    """A CTE of _rollup_sql: the batch's totals (``dated``) added to one daily rollup, keyed by ``key``."""
    return f"""{cte} AS (
    INSERT INTO {table} AS r ({key}, clicks, unique_clicks, invalid_clicks)
    SELECT {key}, sum(clicks), sum(uniques), sum(invalid) FROM dated
    GROUP BY {key}
    ORDER BY {key}
    ON CONFLICT ({key}) DO UPDATE SET
        clicks = r.clicks + excluded.clicks,
        unique_clicks = r.unique_clicks + excluded.unique_clicks,
        invalid_clicks = r.invalid_clicks + excluded.invalid_clicks
)"""  # noqa: S608 (constants only)


def _sqlite_daily(table: str, key: str, columns: str) -> str:
    """A step of _SQLITE_STEPS: the batch (``temp.click_batch``, grouped by ``columns``) added to one daily
    rollup."""
    return f"""INSERT INTO main.{table} ({key}, clicks, unique_clicks, invalid_clicks)
    SELECT {columns}, COUNT(*), SUM(first), SUM(valid = 0)
    FROM temp.click_batch WHERE true
    GROUP BY {columns}
    ON CONFLICT ({key}) DO UPDATE SET
        clicks = clicks + excluded.clicks,
        unique_clicks = unique_clicks + excluded.unique_clicks,
        invalid_clicks = invalid_clicks + excluded.invalid_clicks"""  # noqa: S608 (constants only)


# The three daily rollups' CTEs, in the order click storage visits them.
_PG_DAILY = ", ".join(
    (
        _pg_daily("daily", "click_rollup_daily", _DAILY_KEY),
        _pg_daily("daily_offer", "click_rollup_daily_offer", _OFFER_KEY),
        _pg_daily("daily_sub1", "click_rollup_daily_sub1", _SUB1_KEY),
    )
)


def _rollup_sql(new: str) -> str:
    """One statement, one snapshot, every step reading ``new`` (the clicks this batch really added): the first
    visitors go into click_unique_hourly, and what that insert returned makes the unique counts. Each upsert
    visits its keys in one order (ORDER BY), so that two consumers cannot deadlock on a hot rollup row."""
    return f"""
WITH new AS ({new}), firsts AS (
    INSERT INTO click_unique_hourly (network, offer, webmaster, hour, visitor, sub1, country)
    SELECT DISTINCT ON (network, hour, offer, webmaster, visitor)
        network, offer, webmaster, hour, visitor, sub1, country
    FROM new ORDER BY network, hour, offer, webmaster, visitor, created_at, click_id
    ON CONFLICT DO NOTHING
    RETURNING {_KEY}
), uniques AS (
    SELECT {_KEY}, count(*) AS n FROM firsts GROUP BY {_KEY}
), totals AS (
    SELECT {_KEY}, count(*) AS clicks, count(*) FILTER (WHERE NOT valid) AS invalid FROM new GROUP BY {_KEY}
), keyed AS (
    SELECT {_KEY}, t.clicks, COALESCE(u.n, 0) AS uniques, t.invalid
    FROM totals t LEFT JOIN uniques u USING ({_KEY})
), rollup AS (
    INSERT INTO click_rollup_hourly AS r ({_KEY}, clicks, unique_clicks, invalid_clicks)
    SELECT {_KEY}, clicks, uniques, invalid FROM keyed
    ORDER BY network, hour, offer, webmaster, sub1, country
    ON CONFLICT (network, hour, offer, webmaster, sub1, country) DO UPDATE SET
        clicks = r.clicks + excluded.clicks,
        unique_clicks = r.unique_clicks + excluded.unique_clicks,
        invalid_clicks = r.invalid_clicks + excluded.invalid_clicks
), dated AS (
    -- The same rows on the local day of their network (UTC for a network id without a row).
    SELECT k.network, (k.hour AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date AS day, k.offer, k.webmaster,
        k.sub1, k.country, k.clicks, k.uniques, k.invalid
    FROM keyed k LEFT JOIN {_NETWORK} z ON z.id = k.network
), {_PG_DAILY}, flag (bit, name) AS (
    VALUES {_FLAGS}
), invalid AS (
    INSERT INTO click_rollup_invalid_hourly AS r ({_KEY}, reason, clicks)
    SELECT {_KEY}, reason, count(*) FROM (
        SELECT n.network, n.offer, n.webmaster, n.sub1, n.country, n.hour, f.name AS reason
        FROM new n JOIN flag f ON n.fraud_flags & f.bit <> 0 WHERE NOT n.valid
        UNION ALL
        SELECT {_KEY}, reason FROM new WHERE NOT valid AND fraud_flags = 0
    ) i
    GROUP BY {_KEY}, reason
    ORDER BY network, hour, offer, webmaster, sub1, country, reason
    ON CONFLICT (network, hour, offer, webmaster, sub1, country, reason) DO UPDATE SET
        clicks = r.clicks + excluded.clicks
)
SELECT count(*) FROM new
"""  # noqa: S608 (no input reaches the text: column names and flag names are constants)


_PG_ROLLUP_NEW = _rollup_sql(_FROM_ARRAYS)
_PG_STORE_DEDUPE = _rollup_sql(_INSERT_RETURNING_NEW)
_PG_LOCK_SHARED = f"SELECT pg_advisory_xact_lock_shared({DAILY_LOCK}, k) FROM unnest($1::int[]) k"  # noqa: S608


async def _store_postgres(engine: PostgresEngine, events: Sequence[ClickEvent]) -> int:
    await partitions.ensure_for(engine, partitions.days_of({e.ts for e in events}))
    nested = engine.current_transaction.get() is not None
    records = [record(e) for e in events]
    locks = sorted({_lock_key(e.network_id) for e in events})
    async with engine.transaction() as transaction:
        conn = transaction.connection
        # Before anything reads the network's time zone: a rebuild of its daily rows waits for this batch,
        # or this batch for the rebuild (and then reads the new zone in a later statement).
        await conn.execute(_PG_LOCK_SHARED, locks)
        try:
            # The common case, a batch never seen before: straight into click, all or nothing (a savepoint).
            async with conn.transaction():
                await conn.copy_records_to_table("click", records=records, columns=COLUMNS)
        except asyncpg.UniqueViolationError:
            # A redelivery (or a click id twice in the batch): stage it and keep only what is new.
            await conn.execute(staging_ddl())
            if nested:
                # Inside a caller's transaction an earlier batch may still be staged (emptied at commit).
                await conn.execute("TRUNCATE click_staging")
            await conn.copy_records_to_table("click_staging", records=records, columns=COLUMNS)
            new = await conn.fetchval(_PG_STORE_DEDUPE)
        else:
            new = await conn.fetchval(_PG_ROLLUP_NEW, *_new_columns(events, records))
    return int(new)


# --- SQLite -------------------------------------------------------------------------------------------------

_SQLITE_EXTRA = ("ts", "offer_key", "hour", "visitor_key", "day")
_SQLITE_STAGING = (
    f"CREATE TEMP TABLE IF NOT EXISTS click_batch ({', '.join(COLUMNS)}, {', '.join(_SQLITE_EXTRA)}, "
    "first INTEGER NOT NULL DEFAULT 0, UNIQUE (click_id))"
)
_SQLITE_KEY = "network, offer_key, webmaster, sub1, country, hour"
_SQLITE_STEPS = (
    # The batch minus the click ids already stored: what is left is exactly the new clicks.
    "DELETE FROM temp.click_batch WHERE click_id IN (SELECT click_id FROM main.click)",
    f"INSERT INTO main.click ({_COLS}) SELECT {_COLS} FROM temp.click_batch",  # noqa: S608
    # First click per visitor, offer, webmaster and hour in the batch, unless an earlier batch had one.
    """UPDATE temp.click_batch SET first = 1 WHERE click_id IN (
        SELECT click_id FROM (
            SELECT click_id, network, offer_key, webmaster, hour, visitor_key, ROW_NUMBER() OVER (
                PARTITION BY network, hour, offer_key, webmaster, visitor_key ORDER BY ts, click_id
            ) AS n
            FROM temp.click_batch
        ) f
        WHERE f.n = 1 AND NOT EXISTS (
            SELECT 1 FROM main.click_unique_hourly k
            WHERE k.network = f.network AND k.hour = f.hour AND k.offer = f.offer_key
                AND k.webmaster = f.webmaster AND k.visitor = f.visitor_key
        )
    )""",
    """INSERT INTO main.click_unique_hourly (network, offer, webmaster, hour, visitor, sub1, country)
    SELECT network, offer_key, webmaster, hour, visitor_key, sub1, country
    FROM temp.click_batch WHERE first = 1""",
    f"""INSERT INTO main.click_rollup_hourly (network, offer, webmaster, sub1, country, hour, clicks,
        unique_clicks, invalid_clicks)
    SELECT {_SQLITE_KEY}, COUNT(*), SUM(first), SUM(valid = 0) FROM temp.click_batch WHERE true
    GROUP BY {_SQLITE_KEY}
    ON CONFLICT (network, hour, offer, webmaster, sub1, country) DO UPDATE SET
        clicks = clicks + excluded.clicks,
        unique_clicks = unique_clicks + excluded.unique_clicks,
        invalid_clicks = invalid_clicks + excluded.invalid_clicks""",  # noqa: S608
    f"""WITH flag (bit, name) AS (VALUES {_FLAGS})
    INSERT INTO main.click_rollup_invalid_hourly
        (network, offer, webmaster, sub1, country, hour, reason, clicks)
    SELECT {_SQLITE_KEY}, reason, COUNT(*) FROM (
        SELECT b.network, b.offer_key, b.webmaster, b.sub1, b.country, b.hour, f.name AS reason
        FROM temp.click_batch b JOIN flag f ON (b.fraud_flags & f.bit) <> 0 WHERE b.valid = 0
        UNION ALL
        SELECT {_SQLITE_KEY}, reason FROM temp.click_batch WHERE valid = 0 AND fraud_flags = 0
    ) WHERE true
    GROUP BY {_SQLITE_KEY}, reason
    ON CONFLICT (network, hour, offer, webmaster, sub1, country, reason) DO UPDATE SET
        clicks = clicks + excluded.clicks""",  # noqa: S608
    _sqlite_daily("click_rollup_daily", _DAILY_KEY, "network, day, offer_key, webmaster, country"),
    _sqlite_daily("click_rollup_daily_offer", _OFFER_KEY, "network, day, offer_key, country"),
    _sqlite_daily("click_rollup_daily_sub1", _SUB1_KEY, _SUB1_KEY),
)
_SQLITE_INSERT = (
    f"INSERT OR IGNORE INTO temp.click_batch ({', '.join((*COLUMNS, *_SQLITE_EXTRA))}) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(COLUMNS) + len(_SQLITE_EXTRA)))})"
)


def _sqlite_record(
    event: ClickEvent, days: dict[tuple[int, datetime], str], zones: dict[int, ZoneInfo]
) -> tuple[Any, ...]:
    values = record(event)
    key = visitor_key(event.visitor_id, event.ip, values[13])
    hour = hour_of(event.ts)
    day = days.get((event.network_id, hour))
    if day is None:
        day = days[event.network_id, hour] = day_of(hour, zones[event.network_id]).isoformat()
    return (*values, event.ts, event.offer_id or 0, hour, key, day)


async def _sqlite_zones(conn: Any, networks: set[int]) -> dict[int, ZoneInfo]:
    """The time zone of each network (UTC for an id without a row), read inside the write transaction: a
    time zone change and its rebuild of the daily rows are another write transaction, before or after."""
    marks = ", ".join("?" * len(networks))
    sql = f"SELECT id, timezone FROM main.{_NETWORK} WHERE id IN ({marks})"  # noqa: S608
    async with conn.execute(sql, tuple(networks)) as cursor:
        found = {int(r["id"]): r["timezone"] for r in await cursor.fetchall()}
    return {n: ZoneInfo(found.get(n, "UTC")) for n in networks}


async def _store_sqlite(engine: SQLiteEngine, events: Sequence[ClickEvent]) -> int:
    # IMMEDIATE: the write lock from the start, so that the existence check and the insert see one state.
    async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
        conn = transaction.connection
        zones = await _sqlite_zones(conn, {e.network_id for e in events})
        days: dict[tuple[int, datetime], str] = {}
        rows = [_sqlite_record(e, days, zones) for e in events]
        await conn.execute(_SQLITE_STAGING)
        await conn.execute("DELETE FROM temp.click_batch")
        await conn.executemany(_SQLITE_INSERT, rows)
        for sql in _SQLITE_STEPS:
            await conn.execute(sql)
        async with conn.execute("SELECT COUNT(*) AS n FROM temp.click_batch") as cursor:
            new = await cursor.fetchone()
        await conn.execute("DELETE FROM temp.click_batch")
    return int(new["n"])


# --- Time zone changes --------------------------------------------------------------------------------------

_PG_REBUILD = f"""
INSERT INTO click_rollup_daily ({_DAILY_KEY}, clicks, unique_clicks, invalid_clicks)
SELECT network, (hour AT TIME ZONE $2::text)::date, offer, webmaster, country, sum(clicks),
    sum(unique_clicks), sum(invalid_clicks)
FROM click_rollup_hourly WHERE network = $1
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
"""  # noqa: S608
_SQLITE_REBUILD = f"""
INSERT INTO main.click_rollup_daily ({_DAILY_KEY}, clicks, unique_clicks, invalid_clicks)
SELECT h.network, m.day, h.offer, h.webmaster, h.country, SUM(h.clicks), SUM(h.unique_clicks),
    SUM(h.invalid_clicks)
FROM main.click_rollup_hourly h JOIN temp.click_daily_map m ON m.hour = h.hour
WHERE h.network = ?
GROUP BY h.network, m.day, h.offer, h.webmaster, h.country
"""  # noqa: S608
_PG_REBUILD_SUB1 = f"""
INSERT INTO click_rollup_daily_sub1 ({_SUB1_KEY}, clicks, unique_clicks, invalid_clicks)
SELECT network, webmaster, (hour AT TIME ZONE $2::text)::date, sub1, sum(clicks), sum(unique_clicks),
    sum(invalid_clicks)
FROM click_rollup_hourly WHERE network = $1
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
"""  # noqa: S608
_SQLITE_REBUILD_SUB1 = f"""
INSERT INTO main.click_rollup_daily_sub1 ({_SUB1_KEY}, clicks, unique_clicks, invalid_clicks)
SELECT h.network, h.webmaster, m.day, h.sub1, SUM(h.clicks), SUM(h.unique_clicks), SUM(h.invalid_clicks)
FROM main.click_rollup_hourly h JOIN temp.click_daily_map m ON m.hour = h.hour
WHERE h.network = ?
GROUP BY h.network, h.webmaster, m.day, h.sub1
"""  # noqa: S608
# The daily tables a rebuild empties and fills again.
_DAILY_TABLES = ("click_rollup_daily", "click_rollup_daily_offer", "click_rollup_daily_sub1")
# The rollup without webmaster from the daily one, of one network ($1 on PostgreSQL, ? on SQLite).
_OFFER_REBUILD = f"""
INSERT INTO click_rollup_daily_offer ({_OFFER_KEY}, clicks, unique_clicks, invalid_clicks)
SELECT {_OFFER_KEY}, SUM(clicks), SUM(unique_clicks), SUM(invalid_clicks)
FROM click_rollup_daily WHERE network = {{}}
GROUP BY {_OFFER_KEY}
ORDER BY {_OFFER_KEY}
"""  # noqa: S608


async def rebuild_daily(network_id: int) -> int:
    """Rebuild a network's daily rollup from its hourly one, under the network's time zone as stored now
    (called in the transaction that changes the zone, after the change). Returns how many daily rows the
    network has. A zone that PostgreSQL does not know is a ValidationError (field ``timezone``)."""
    engine = ClickRollupDaily._meta.db
    if isinstance(engine, PostgresEngine):
        async with engine.transaction() as transaction:
            conn = transaction.connection
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1::int, $2::int)", DAILY_LOCK, _lock_key(network_id)
            )
            zone = await conn.fetchval(f"SELECT timezone FROM {_NETWORK} WHERE id = $1", network_id)  # noqa: S608
            zone = zone or "UTC"
            try:
                async with conn.transaction():
                    await conn.execute("SELECT now() AT TIME ZONE $1::text", zone)
            except asyncpg.InvalidParameterValueError as exc:
                raise ValidationError(
                    f"unknown time zone {zone!r} (the database does not know it)", field="timezone"
                ) from exc
            for table in _DAILY_TABLES:
                await conn.execute(f"DELETE FROM {table} WHERE network = $1", network_id)  # noqa: S608
            await conn.execute(_PG_REBUILD, network_id, zone)
            await conn.execute(_OFFER_REBUILD.format("$1"), network_id)
            await conn.execute(_PG_REBUILD_SUB1, network_id, zone)
            return int(
                await conn.fetchval("SELECT count(*) FROM click_rollup_daily WHERE network = $1", network_id)
            )
    assert isinstance(engine, SQLiteEngine)
    async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
        conn = transaction.connection
        zones = await _sqlite_zones(conn, {network_id})
        await rebuild_daily_sqlite(conn, network_id, zones[network_id])
        async with conn.execute(
            "SELECT COUNT(*) AS n FROM main.click_rollup_daily WHERE network = ?", (network_id,)
        ) as cursor:
            row = await cursor.fetchone()
    return int(row["n"])


async def rebuild_daily_sqlite(conn: Any, network_id: int, zone: ZoneInfo) -> None:
    """SQLite has no time zones: the days of the network's distinct hours are computed here and joined in
    through a temporary table (the hours as stored text, so that they compare equal). Also the migration's
    backfill."""
    await conn.execute("CREATE TEMP TABLE IF NOT EXISTS click_daily_map (hour TEXT PRIMARY KEY, day TEXT)")
    await conn.execute("DELETE FROM temp.click_daily_map")
    async with conn.execute(
        "SELECT DISTINCT hour || '' AS h FROM main.click_rollup_hourly WHERE network = ?", (network_id,)
    ) as cursor:
        hours = [r["h"] for r in await cursor.fetchall()]
    mapping = [(h, day_of(datetime.fromisoformat(h).replace(tzinfo=UTC), zone).isoformat()) for h in hours]
    await conn.executemany("INSERT INTO temp.click_daily_map (hour, day) VALUES (?, ?)", mapping)
    for table in _DAILY_TABLES:
        await conn.execute(f"DELETE FROM main.{table} WHERE network = ?", (network_id,))  # noqa: S608
    await conn.execute(_SQLITE_REBUILD, (network_id,))
    await conn.execute(_OFFER_REBUILD.format("?"), (network_id,))
    await conn.execute(_SQLITE_REBUILD_SUB1, (network_id,))
    await conn.execute("DELETE FROM temp.click_daily_map")
