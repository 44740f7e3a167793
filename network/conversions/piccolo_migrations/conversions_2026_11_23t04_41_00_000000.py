"""Hand-written: dedup and lookup keys, append-only conversion history"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from network.migration_sql import append_only, run, unique_index

ID = "2026-11-23T04:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "conversion dedup keys, coupon, lead and cap usage keys, append-only history"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="conversions", description=DESCRIPTION)

    async def apply() -> None:
        await run(
            [
                unique_index("conversion", ["network", "offer", "dedup_key"]),
                unique_index("coupon", ["network", "offer", "code"]),
                unique_index("lead", ["network", "offer", "lead_key"]),
                unique_index("cap_usage", ["network", "offer", "metric", "period_key", "webmaster"]),
                'CREATE INDEX IF NOT EXISTS ix_conversion_network_status_hold ON "conversion" '
                '("network", "status", "hold_until")',
                *append_only("conversion_event"),
            ]
        )

    manager.add_raw(apply)
    return manager
