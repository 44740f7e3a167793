from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T04:41:29:516311"
VERSION = "1.38.0"
DESCRIPTION = "the pricing context stored with each conversion (backtests replay it)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="conversions", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Conversion",
        tablename="conversion",
        column_name="pricing_context",
        db_column_name="pricing_context",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "{}",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
