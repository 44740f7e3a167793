"""Hand-written: changes of postback endpoints tell the postback caches"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from network.conversions.cache import bump_triggers, generation_table
from network.migration_sql import run

ID = "2026-12-02T18:10:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "postback_endpoint changes add to postback_cache_generation (network/conversions/cache.py)"

# Only the columns that decide which deliveries a conversion queues, and how: a delivery's failure counter
# is updated on every attempt and must not empty the caches each time.
COLUMNS = ("network", "webmaster", "offer", "url", "statuses", "goals", "enabled")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="outgoing", description=DESCRIPTION)

    async def apply() -> None:
        engine = engine_finder()
        assert engine is not None
        kind = engine.engine_type
        # The generation table may not exist yet: apps migrate in dependency order, not alphabetically.
        await run(
            [
                *generation_table(kind),
                *bump_triggers(kind, "postback_endpoint", "INSERT OR UPDATE OR DELETE", COLUMNS),
            ]
        )

    manager.add_raw(apply)
    return manager
