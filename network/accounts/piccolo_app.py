"""piccolo app of the accounts context: its tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.accounts.tables import (
    Advertiser,
    ApiKey,
    PasswordReset,
    User,
    UserSession,
    Webmaster,
    WebmasterGroup,
    WebmasterGroupMember,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Advertiser,
        Webmaster,
        User,
        ApiKey,
        UserSession,
        WebmasterGroup,
        WebmasterGroupMember,
        PasswordReset,
    ],
    migration_dependencies=["network.tenants.piccolo_app"],
    commands=[],
)
