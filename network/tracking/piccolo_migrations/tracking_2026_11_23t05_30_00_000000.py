"""Hand-written: an index for the stats report of one webmaster (docs/stats.md, "Performance").

Every webmaster's report filters the click rollups by its webmaster id. The key ``(network, hour, offer,
webmaster, sub1, country)`` does not serve that filter: without this index such a report reads every rollup
row of the period (700 ms instead of 15 ms over a 10M-click month, docs/benchmarks/stats.md).
It costs one more index entry per new rollup key; counter updates stay HOT (no indexed column changes).
Plain CREATE INDEX (migrations run in a transaction): on a large existing table it blocks writes to the
rollup while it builds.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from network.migration_sql import run

ID = "2026-11-23T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "click rollups: index for per-webmaster stats"

INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_click_rollup_hourly_webmaster "
    "ON click_rollup_hourly (network, webmaster, hour)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tracking", description=DESCRIPTION)

    async def apply() -> None:
        await run(INDEXES)

    manager.add_raw(apply)
    return manager
