"""piccolo app of the conversions context: its tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.conversions.tables import (
    CapUsage,
    Conversion,
    ConversionEvent,
    Coupon,
    Lead,
    PostbackAuth,
    PostbackLog,
    QueuedPostback,
)

APP_CONFIG = AppConfig(
    app_name="conversions",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        PostbackAuth,
        Conversion,
        PostbackLog,
        QueuedPostback,
        Coupon,
        Lead,
        CapUsage,
        ConversionEvent,
    ],
    migration_dependencies=["network.offers.piccolo_app"],
    commands=[],
)
