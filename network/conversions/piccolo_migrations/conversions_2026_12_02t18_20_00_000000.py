"""Hand-written: the index of the stats report's conversion query (docs/stats.md, "Performance").

The report reads a network's conversions created in a period: ``network = .. AND created_at >= .. AND
created_at < ..``. The single-column indexes on ``network`` and ``created_at`` serve that only by reading
every network's conversions of the period (or every conversion of the network); with this index a network
reads its own rows of the period only. It costs one more index entry per new conversion and per update
that is not HOT (``status`` has an index of its own, so a status change already is not). Plain CREATE
INDEX (migrations run in a transaction): on a large existing table it blocks writes to ``conversion``
while it builds.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from network.migration_sql import run

ID = "2026-12-02T18:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "conversions: (network, created_at) index for the stats report"

INDEXES = [
    'CREATE INDEX IF NOT EXISTS ix_conversion_network_created_at ON "conversion" ("network", "created_at")',
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="conversions", description=DESCRIPTION)

    async def apply() -> None:
        await run(INDEXES)

    manager.add_raw(apply)
    return manager
