"""Hand-written: the key of the daily rollup by sub1, and its backfill from the hourly rollup.

Both engines: the unique key ``(network, webmaster, day, sub1)`` (the primary key on PostgreSQL, ``sub1``
COLLATE "C" as in the hourly rollup, room on each page for HOT counter updates, as for the other rollups).
Then every network's hourly rows are summed per webmaster, local day and sub1, each hour on its network's
local date (the hour's start in ``network.timezone``; UTC for rollup rows of a network id without a row):
the rows click storage writes. PostgreSQL in one ``INSERT .. SELECT`` with ``AT TIME ZONE``; SQLite, which
has no time zones, with the days of the distinct hours computed in Python (as
network.tracking.storage.rebuild_daily_sqlite does; not imported, so that this migration stays what it
is when later migrations change storage). In the migration's transaction.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from network.migration_sql import run

ID = "2026-12-03T13:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "daily click rollup by sub1: key, backfill from the hourly rollup"

KEY = "network, webmaster, day, sub1"
SQLITE_KEY = (
    f"CREATE UNIQUE INDEX IF NOT EXISTS uq_click_rollup_daily_sub1 ON click_rollup_daily_sub1 ({KEY})"
)
PG_KEY = [
    'ALTER TABLE click_rollup_daily_sub1 ALTER COLUMN sub1 TYPE varchar(255) COLLATE "C"',
    "ALTER TABLE click_rollup_daily_sub1 DROP CONSTRAINT click_rollup_daily_sub1_pkey",
    f"ALTER TABLE click_rollup_daily_sub1 ADD CONSTRAINT click_rollup_daily_sub1_pkey PRIMARY KEY ({KEY})",
    "ALTER TABLE click_rollup_daily_sub1 SET (fillfactor = 70)",
]
PG_BACKFILL = f"""
INSERT INTO click_rollup_daily_sub1 ({KEY}, clicks, unique_clicks, invalid_clicks)
SELECT h.network, h.webmaster, (h.hour AT TIME ZONE COALESCE(n.timezone, 'UTC'))::date, h.sub1,
    sum(h.clicks), sum(h.unique_clicks), sum(h.invalid_clicks)
FROM click_rollup_hourly h LEFT JOIN network n ON n.id = h.network
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
"""  # noqa: S608 (constants only)
SQLITE_BACKFILL = f"""
INSERT INTO click_rollup_daily_sub1 ({KEY}, clicks, unique_clicks, invalid_clicks)
SELECT h.network, h.webmaster, m.day, h.sub1, SUM(h.clicks), SUM(h.unique_clicks), SUM(h.invalid_clicks)
FROM click_rollup_hourly h JOIN temp.click_sub1_backfill m ON m.network = h.network AND m.hour = h.hour
GROUP BY h.network, h.webmaster, m.day, h.sub1
"""  # noqa: S608 (constants only)


async def _sqlite(conn) -> None:
    """The day of each (network, hour) computed here, joined in through a temporary table; the hours as
    stored text, so that they compare equal."""
    async with conn.execute(
        "SELECT DISTINCT h.network AS n, h.hour || '' AS h, z.timezone AS tz "
        "FROM click_rollup_hourly h LEFT JOIN network z ON z.id = h.network"
    ) as cursor:
        hours = await cursor.fetchall()
    await conn.execute("CREATE TEMP TABLE click_sub1_backfill (network INTEGER, hour TEXT, day TEXT)")
    zones = {}
    mapping = []
    for row in hours:
        zone = zones.setdefault(row["tz"], ZoneInfo(row["tz"] or "UTC"))
        hour = datetime.fromisoformat(row["h"]).replace(tzinfo=UTC)
        mapping.append((row["n"], row["h"], hour.astimezone(zone).date().isoformat()))
    await conn.executemany("INSERT INTO temp.click_sub1_backfill VALUES (?, ?, ?)", mapping)
    await conn.execute(SQLITE_BACKFILL)
    await conn.execute("DROP TABLE temp.click_sub1_backfill")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tracking", description=DESCRIPTION)

    async def apply() -> None:
        engine = engine_finder()
        assert engine is not None
        transaction = engine.current_transaction.get()
        assert transaction is not None
        if engine.engine_type == "sqlite":
            await run([SQLITE_KEY])
            await _sqlite(transaction.connection)
            return
        conn = transaction.connection
        for sql in [*PG_KEY, PG_BACKFILL]:
            await conn.execute(sql)

    manager.add_raw(apply)
    return manager
