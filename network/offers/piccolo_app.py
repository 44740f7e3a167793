"""piccolo app of the offers context: its tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.offers.tables import Goal, Landing, Offer, OfferAccess, OfferCap, PromoMaterial

APP_CONFIG = AppConfig(
    app_name="offers",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Offer, Goal, Landing, PromoMaterial, OfferCap, OfferAccess],
    migration_dependencies=["network.accounts.piccolo_app"],
    commands=[],
)
