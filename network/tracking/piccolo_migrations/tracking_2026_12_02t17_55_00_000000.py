"""Hand-written: the daily click rollup's keys, and its backfill from the hourly rollup (docs/stats.md).

Both engines: the unique key ``(network, day, offer, webmaster, country)`` (the primary key on PostgreSQL,
with ``country`` COLLATE "C" and room on each page for HOT counter updates, as for the hourly rollup) and the
index ``(network, webmaster, day)`` for a webmaster's own report. Then every network's hourly rows are summed
into daily rows, each hour on its network's local date (the hour's start in ``network.timezone``; UTC for
rollup rows of a network id without a row), the same rows click storage would have written. PostgreSQL does
it in one ``INSERT .. SELECT`` with ``AT TIME ZONE``; SQLite, which has no time zones, with the days of the
distinct hours computed in Python (as network.tracking.storage.rebuild_daily_sqlite does; not imported,
so that this migration stays what it was when later migrations add tables). The backfill runs in
the migration's transaction: click storage waits for it (the new table is locked until it commits).
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from network.migration_sql import run

ID = "2026-12-02T17:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "daily click rollup: keys, webmaster index, backfill from the hourly rollup"

KEY = "network, day, offer, webmaster, country"
INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_click_rollup_daily_webmaster "
    "ON click_rollup_daily (network, webmaster, day)"
)
SQLITE_KEY = f"CREATE UNIQUE INDEX IF NOT EXISTS uq_click_rollup_daily ON click_rollup_daily ({KEY})"
PG_KEY = [
    'ALTER TABLE click_rollup_daily ALTER COLUMN country TYPE varchar(2) COLLATE "C"',
    "ALTER TABLE click_rollup_daily DROP CONSTRAINT click_rollup_daily_pkey",
    f"ALTER TABLE click_rollup_daily ADD CONSTRAINT click_rollup_daily_pkey PRIMARY KEY ({KEY})",
    "ALTER TABLE click_rollup_daily SET (fillfactor = 70)",
]
PG_BACKFILL = f"""
INSERT INTO click_rollup_daily ({KEY}, clicks, unique_clicks, invalid_clicks)
SELECT h.network, (h.hour AT TIME ZONE COALESCE(n.timezone, 'UTC'))::date, h.offer, h.webmaster, h.country,
    sum(h.clicks), sum(h.unique_clicks), sum(h.invalid_clicks)
FROM click_rollup_hourly h LEFT JOIN network n ON n.id = h.network
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
"""  # noqa: S608 (constants only)


SQLITE_BACKFILL = f"""
INSERT INTO click_rollup_daily ({KEY}, clicks, unique_clicks, invalid_clicks)
SELECT h.network, m.day, h.offer, h.webmaster, h.country, SUM(h.clicks), SUM(h.unique_clicks),
    SUM(h.invalid_clicks)
FROM click_rollup_hourly h JOIN temp.click_daily_backfill m ON m.network = h.network AND m.hour = h.hour
GROUP BY h.network, m.day, h.offer, h.webmaster, h.country
"""  # noqa: S608 (constants only)


async def _sqlite(conn) -> None:
    """The day of each (network, hour) computed here (SQLite has no time zones), joined in through a
    temporary table; the hours as stored text, so that they compare equal."""
    async with conn.execute(
        "SELECT DISTINCT h.network AS n, h.hour || '' AS h, z.timezone AS tz "
        "FROM click_rollup_hourly h LEFT JOIN network z ON z.id = h.network"
    ) as cursor:
        hours = await cursor.fetchall()
    await conn.execute("CREATE TEMP TABLE click_daily_backfill (network INTEGER, hour TEXT, day TEXT)")
    zones = {}
    mapping = []
    for row in hours:
        zone = zones.setdefault(row["tz"], ZoneInfo(row["tz"] or "UTC"))
        hour = datetime.fromisoformat(row["h"]).replace(tzinfo=UTC)
        mapping.append((row["n"], row["h"], hour.astimezone(zone).date().isoformat()))
    await conn.executemany("INSERT INTO temp.click_daily_backfill VALUES (?, ?, ?)", mapping)
    await conn.execute(SQLITE_BACKFILL)
    await conn.execute("DROP TABLE temp.click_daily_backfill")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tracking", description=DESCRIPTION)

    async def apply() -> None:
        engine = engine_finder()
        assert engine is not None
        transaction = engine.current_transaction.get()
        assert transaction is not None
        if engine.engine_type == "sqlite":
            await run([SQLITE_KEY, INDEX])
            await _sqlite(transaction.connection)
            return
        conn = transaction.connection
        for sql in [*PG_KEY, INDEX, PG_BACKFILL]:
            await conn.execute(sql)

    manager.add_raw(apply)
    return manager
