"""Hand-written: terms versions and acceptances are immutable; one acceptance per webmaster and version."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from network.migration_sql import append_only, run, unique_index

ID = "2026-11-23T02:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "terms are immutable"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="terms", description=DESCRIPTION)

    async def apply() -> None:
        await run(
            [
                unique_index("terms_version", ["offer", "number"]),
                unique_index("terms_acceptance", ["terms_version", "webmaster"]),
                *append_only("terms_version"),
                *append_only("terms_acceptance"),
            ]
        )

    manager.add_raw(apply)
    return manager
