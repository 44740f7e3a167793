"""piccolo app of the staff traffic lists: its table and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.lists.tables import TrafficListEntry

APP_CONFIG = AppConfig(
    app_name="lists",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[TrafficListEntry],
    migration_dependencies=["network.tenants.piccolo_app"],
    commands=[],
)
