"""piccolo app of the audit context: its tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.audit.tables import AuditEntry

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[AuditEntry],
    migration_dependencies=["network.tenants.piccolo_app"],
    commands=[],
)
