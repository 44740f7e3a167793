"""piccolo app of the tenants context: its tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.tenants.tables import Network

APP_CONFIG = AppConfig(
    app_name="tenants",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Network],
    migration_dependencies=[],
    commands=[],
)
