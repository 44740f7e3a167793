"""piccolo app of the ledger context: its tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from network.ledger.tables import LedgerTransaction, PayoutBatch, Posting, Withdrawal

APP_CONFIG = AppConfig(
    app_name="ledger",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[LedgerTransaction, Posting, PayoutBatch, Withdrawal],
    migration_dependencies=["network.accounts.piccolo_app"],
    commands=[],
)
