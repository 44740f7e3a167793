"""piccolo app of the tracking context: stored clicks."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.tracking.tables import Click

APP_CONFIG = AppConfig(
    app_name="tracking",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Click],
    migration_dependencies=["network.tenants.piccolo_app"],
    commands=[],
)
