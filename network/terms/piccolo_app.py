"""piccolo app of the terms context: its tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.terms.tables import TermsAcceptance, TermsVersion

APP_CONFIG = AppConfig(
    app_name="terms",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[TermsVersion, TermsAcceptance],
    migration_dependencies=["network.offers.piccolo_app"],
    commands=[],
)
