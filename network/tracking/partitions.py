"""Daily partitions of the click tables on PostgreSQL (SQLite keeps plain tables).

``click`` (on ``created_at``) and ``click_unique_hourly`` (on ``hour``) are ``PARTITION BY RANGE``, one
partition per UTC day named ``<table>_pYYYYMMDD``, plus ``<table>_default`` so that no click is ever refused.
Partitions are created ahead: ``DAYS_BACK`` days back to ``DAYS_AHEAD`` days ahead, by the migration, by the
click consumer at start, and by ``store`` once per day per process and whenever a batch holds a day (at most
``LATE_DAYS`` back) that this process has not seen a partition for. Older or far-future clicks (a replayed
journal, a wrong clock) land in the default partition; if their day gets a partition later, its rows are
moved out of the default partition first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from piccolo.engine.postgres import PostgresEngine

# (table, partition key column)
PARTITIONED: tuple[tuple[str, str], ...] = (("click", "created_at"), ("click_unique_hourly", "hour"))
DAYS_BACK = 2
DAYS_AHEAD = 7
LATE_DAYS = 31
# pg_advisory_xact_lock key: one partition creator at a time across consumers and nodes.
_LOCK_KEY = 0x63_70_61_6E_65_74  # "cpanet"


class Connection(Protocol):
    """The part of an asyncpg connection used here."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...

    async def execute(self, query: str, *args: Any) -> str: ...


def today() -> date:
    return datetime.now(UTC).date()


_EPOCH = date(1970, 1, 1)


def days_of(timestamps: Iterable[float]) -> set[date]:
    """The UTC days of many timestamps, cheaply (one date per distinct day)."""
    return {_EPOCH + timedelta(days=n) for n in {int(ts // 86400) for ts in timestamps}}


def partition_name(table: str, day: date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def window(around: date, days_back: int = DAYS_BACK, days_ahead: int = DAYS_AHEAD) -> set[date]:
    return {around + timedelta(days=n) for n in range(-days_back, days_ahead + 1)}


def _bound(day: date) -> str:
    return f"'{day.isoformat()} 00:00:00+00'"


async def _create_day(conn: Connection, table: str, column: str, day: date) -> bool:
    name = partition_name(table, day)
    if (await conn.fetch("SELECT to_regclass($1) AS r", name))[0]["r"] is not None:
        return False
    lo, hi = _bound(day), _bound(day + timedelta(days=1))
    where = f"{column} >= {lo} AND {column} < {hi}"
    stray = await conn.fetch(f"SELECT 1 FROM {table}_default WHERE {where} LIMIT 1")  # noqa: S608
    if not stray:
        await conn.execute(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM ({lo}) TO ({hi})")
        return True
    # PostgreSQL refuses a partition whose rows sit in the default partition: move them first.
    await conn.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)")
    await conn.execute(
        f"WITH moved AS (DELETE FROM {table}_default WHERE {where} RETURNING *) "  # noqa: S608
        f"INSERT INTO {name} SELECT * FROM moved"
    )
    await conn.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})")
    return True


async def ensure_days(conn: Connection, days: Iterable[date]) -> set[date]:
    """Create the missing partitions of every partitioned table for ``days``; return the days created.
    Must run inside a transaction (the advisory lock is held until it ends)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
    created: set[date] = set()
    for day in sorted(set(days)):
        for table, column in PARTITIONED:
            if await _create_day(conn, table, column, day):
                created.add(day)
    return created


async def ensure_partitions(
    conn: Connection, days_back: int = DAYS_BACK, days_ahead: int = DAYS_AHEAD, around: date | None = None
) -> set[date]:
    """The partitions from ``days_back`` days before ``around`` (today, UTC) to ``days_ahead`` after."""
    return await ensure_days(conn, window(around or today(), days_back, days_ahead))


async def partitioned_days(conn: Connection, table: str = "click") -> set[date]:
    """The days that have a partition of ``table``, read from the catalogue."""
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass($1)",
        table,
    )
    prefix = f"{table}_p"
    return {
        datetime.strptime(r["relname"][len(prefix) :], "%Y%m%d").replace(tzinfo=UTC).date()
        for r in rows
        if r["relname"].startswith(prefix)
    }


@dataclass
class _Known:
    days: set[date] = field(default_factory=set)
    window_day: date | None = None


# Per database (keyed by the engine's connection settings): the days this process knows to have partitions.
# A partition dropped by hand is not noticed; its clicks then go to the default partition, which is harmless.
_KNOWN: dict[str, _Known] = {}


def _database(engine: PostgresEngine) -> str:
    return repr(sorted(engine.config.items()))


async def ensure_for(engine: PostgresEngine, days: Iterable[date]) -> None:
    """Before storing a batch: partitions for its days (within the late window) and, once a day, for the
    window ahead. Runs in its own short transaction, before the batch's, so that the batch never waits on
    partition DDL while holding row locks."""
    known = _KNOWN.setdefault(_database(engine), _Known())
    now = today()
    wanted = {d for d in days if now - timedelta(days=LATE_DAYS) <= d <= now + timedelta(days=DAYS_AHEAD)}
    if known.window_day != now:
        wanted |= window(now)
    missing = wanted - known.days
    if not missing:
        return
    async with engine.transaction() as transaction:
        await ensure_days(transaction.connection, missing)
    known.days |= missing
    known.window_day = now


async def maintain(engine: PostgresEngine) -> None:
    """At consumer start: the window of partitions around today."""
    _KNOWN.pop(_database(engine), None)
    await ensure_for(engine, ())
