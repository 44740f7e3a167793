"""piccolo app of the outgoing context: its tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.outgoing.tables import PostbackAttempt, PostbackDelivery, PostbackEndpoint

APP_CONFIG = AppConfig(
    app_name="outgoing",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[PostbackEndpoint, PostbackDelivery, PostbackAttempt],
    migration_dependencies=["network.accounts.piccolo_app"],
    commands=[],
)
