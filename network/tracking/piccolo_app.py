"""piccolo app of the tracking context: stored clicks and their hourly rollups, and smartlinks."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.tracking.tables import (
    Click,
    ClickRollupDaily,
    ClickRollupDailyOffer,
    ClickRollupDailySub1,
    ClickRollupHourly,
    ClickRollupInvalidHourly,
    ClickUniqueHourly,
    Smartlink,
    SmartlinkOffer,
)

APP_CONFIG = AppConfig(
    app_name="tracking",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Click,
        ClickRollupDaily,
        ClickRollupDailyOffer,
        ClickRollupDailySub1,
        ClickRollupHourly,
        ClickRollupInvalidHourly,
        ClickUniqueHourly,
        Smartlink,
        SmartlinkOffer,
    ],
    # Smartlinks reference webmasters and offers (accounts comes with offers).
    migration_dependencies=["network.tenants.piccolo_app", "network.offers.piccolo_app"],
    commands=[],
)
