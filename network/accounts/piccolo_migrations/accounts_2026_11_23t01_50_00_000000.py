"""Hand-written: composite unique indexes"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from network.migration_sql import append_only, run, unique_index  # noqa: F401

ID = "2026-11-23T01:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def apply() -> None:
        await run(
            [
                unique_index("app_user", ["network", "email"]),
                unique_index("webmaster_group", ["network", "key"]),
                unique_index("webmaster_group_member", ["group", "webmaster"]),
            ]
        )

    manager.add_raw(apply)
    return manager
