"""Hand-written: the key of the daily rollup without webmaster, and its backfill from the daily rollup.

Both engines: the unique key ``(network, day, offer, country)`` (the primary key on PostgreSQL, ``country``
COLLATE "C", room on each page for HOT counter updates, as for the other rollups). Then the rows are the
daily rollup's summed over webmasters: the same rows click storage writes (it sums the same batch totals),
with no time zone to apply (the daily rows already carry their local day). In the migration's transaction.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from network.migration_sql import run

ID = "2026-12-02T18:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "daily click rollup without webmaster: key, backfill from the daily rollup"

KEY = "network, day, offer, country"
SQLITE_KEY = (
    f"CREATE UNIQUE INDEX IF NOT EXISTS uq_click_rollup_daily_offer ON click_rollup_daily_offer ({KEY})"
)
PG_KEY = [
    'ALTER TABLE click_rollup_daily_offer ALTER COLUMN country TYPE varchar(2) COLLATE "C"',
    "ALTER TABLE click_rollup_daily_offer DROP CONSTRAINT click_rollup_daily_offer_pkey",
    f"ALTER TABLE click_rollup_daily_offer ADD CONSTRAINT click_rollup_daily_offer_pkey PRIMARY KEY ({KEY})",
    "ALTER TABLE click_rollup_daily_offer SET (fillfactor = 70)",
]
BACKFILL = f"""
INSERT INTO click_rollup_daily_offer ({KEY}, clicks, unique_clicks, invalid_clicks)
SELECT network, day, offer, country, SUM(clicks), SUM(unique_clicks), SUM(invalid_clicks)
FROM click_rollup_daily
GROUP BY network, day, offer, country
ORDER BY network, day, offer, country
"""  # noqa: S608 (constants only)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tracking", description=DESCRIPTION)

    async def apply() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type == "sqlite":
            await run([SQLITE_KEY])
            transaction = engine.current_transaction.get()
            assert transaction is not None
            await transaction.connection.execute(BACKFILL)
            return
        transaction = engine.current_transaction.get()
        assert transaction is not None
        for sql in [*PG_KEY, BACKFILL]:
            await transaction.connection.execute(sql)

    manager.add_raw(apply)
    return manager
