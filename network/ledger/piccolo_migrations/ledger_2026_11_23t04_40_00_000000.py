"""Hand-written: the ledger is append-only and balanced"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from network.migration_sql import append_only, run, unique_index

ID = "2026-11-23T04:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger idempotency keys, append-only postings, balanced transactions on PostgreSQL"

# PostgreSQL checks at commit that every transaction's postings sum to zero per currency (a deferred
# constraint trigger). SQLite has no deferred triggers: there the repository is the only writer and checks it.
BALANCED = [
    "CREATE OR REPLACE FUNCTION cpanet_balanced() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF EXISTS (SELECT 1 FROM posting WHERE txn = NEW.txn GROUP BY currency HAVING SUM(amount) <> 0) "
    "THEN RAISE EXCEPTION 'ledger transaction % does not balance', NEW.txn "
    "USING ERRCODE = 'check_violation'; END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS posting_balanced ON posting",
    "CREATE CONSTRAINT TRIGGER posting_balanced AFTER INSERT ON posting "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cpanet_balanced()",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def apply() -> None:
        engine = engine_finder()
        assert engine is not None
        await run(
            [
                unique_index("ledger_transaction", ["network", "idempotency_key"]),
                'CREATE INDEX IF NOT EXISTS ix_posting_network_account ON "posting" ("network", "account")',
                *append_only("ledger_transaction"),
                *append_only("posting"),
                *(BALANCED if engine.engine_type == "postgres" else []),
            ]
        )

    manager.add_raw(apply)
    return manager
