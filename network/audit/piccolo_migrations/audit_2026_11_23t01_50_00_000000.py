"""Hand-written: audit entries are append-only"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from network.migration_sql import append_only, run, unique_index  # noqa: F401

ID = "2026-11-23T01:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit entries are append-only"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def apply() -> None:
        await run(append_only("audit_entry"))

    manager.add_raw(apply)
    return manager
