"""Hand-written: balances kept by the database beside the postings (a checked cache)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from network.migration_sql import run

ID = "2026-12-02T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "account_balance: per-account sums of the postings, kept by a trigger on posting"

# One row per (network, account, currency, shard); an account's balance is the sum of its shards. Every
# INSERT into posting adds its amounts in the same transaction (a trigger: no code path can forget), so the
# sums are exactly the postings' at every commit. On PostgreSQL a transaction adds to the shard of its backend
# (pid mod 64): concurrent postbacks of one advertiser, and every postback's net:revenue leg, take different
# rows instead of queueing on one. SQLite has one writer: shard 0. network/ledger/repository.py
# (verify_balances) compares the shards with the postings.
TABLE = (
    'CREATE TABLE IF NOT EXISTS "account_balance" ('
    '"network" BIGINT NOT NULL, "account" VARCHAR(64) NOT NULL, "currency" VARCHAR(3) NOT NULL, '
    '"shard" INTEGER NOT NULL, "balance" BIGINT NOT NULL DEFAULT 0, '
    'PRIMARY KEY ("network", "account", "currency", "shard"))'
)
BACKFILL = (
    'INSERT INTO "account_balance" ("network", "account", "currency", "shard", "balance") '
    'SELECT "network", "account", "currency", 0, SUM("amount") FROM "posting" '
    'GROUP BY "network", "account", "currency"'
)
POSTGRES = [
    "CREATE OR REPLACE FUNCTION cpanet_account_balance() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    'INSERT INTO "account_balance" ("network", "account", "currency", "shard", "balance") '
    'SELECT "network", "account", "currency", pg_backend_pid() % 64, SUM("amount") FROM new_postings '
    'GROUP BY "network", "account", "currency" ORDER BY "network", "account", "currency" '
    'ON CONFLICT ("network", "account", "currency", "shard") '
    'DO UPDATE SET "balance" = "account_balance"."balance" + EXCLUDED."balance"; '
    "RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS posting_account_balance ON posting",
    "CREATE TRIGGER posting_account_balance AFTER INSERT ON posting "
    "REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION cpanet_account_balance()",
]
SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS posting_account_balance AFTER INSERT ON posting BEGIN "
    'INSERT INTO "account_balance" ("network", "account", "currency", "shard", "balance") '
    "VALUES (NEW.network, NEW.account, NEW.currency, 0, NEW.amount) "
    'ON CONFLICT ("network", "account", "currency", "shard") '
    'DO UPDATE SET "balance" = "balance" + excluded."balance"; END',
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def apply() -> None:
        engine = engine_finder()
        assert engine is not None
        # Created and filled before the trigger exists, in one migration run: nothing posts meanwhile.
        await run([TABLE, BACKFILL, *(POSTGRES if engine.engine_type == "postgres" else SQLITE)])

    manager.add_raw(apply)
    return manager
