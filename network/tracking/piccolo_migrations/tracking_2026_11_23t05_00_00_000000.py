"""Hand-written: click storage layout (docs/clicks.md, "Storage").

Both engines: unique keys of the rollup tables (on PostgreSQL their primary keys, with room on each page for
HOT updates of the counters), and the click indexes for attribution, (network, created_at) and
(network, visitor_id).

PostgreSQL only: ``click`` and ``click_unique_hourly`` become ``PARTITION BY RANGE`` by UTC day (see
network/tracking/partitions.py). An existing table is converted in this migration's transaction: renamed
aside, a partitioned table created in its place with the same columns and defaults, partitions created for
the days around today and for every day that has rows, the rows moved, the old table dropped, then the keys
built. PostgreSQL wants the partition key in every unique constraint, so the keys are
``click (click_id, created_at)`` and ``click_unique_hourly (network, hour, offer, webmaster, visitor)``,
made primary keys; ``id`` keeps its sequence (re-owned by the new table) without an index, as it does on the
rollup tables. Text key columns get COLLATE "C" (a later piccolo ALTER COLUMN TYPE of one of them must keep
it). SQLite keeps its tables as they are.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from network.migration_sql import run
from network.tracking.partitions import PARTITIONED, ensure_days, today, window

ID = "2026-11-23T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "click storage: daily partitions on PostgreSQL, rollup keys, attribution indexes"

ROLLUP_KEYS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS uq_click_rollup_hourly "
    "ON click_rollup_hourly (network, hour, offer, webmaster, sub1, country)",
    "CREATE UNIQUE INDEX IF NOT EXISTS uq_click_rollup_invalid_hourly "
    "ON click_rollup_invalid_hourly (network, hour, offer, webmaster, sub1, country, reason)",
]
CLICK_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_click_network_created_at ON click (network, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_click_network_visitor_id ON click (network, visitor_id)",
]
SQLITE_UNIQUE_KEY = (
    "CREATE UNIQUE INDEX IF NOT EXISTS uq_click_unique_hourly "
    "ON click_unique_hourly (network, hour, offer, webmaster, visitor)"
)
# Text key columns compare bytewise ("C"): base62 click ids then sort in time order, and btree and sort
# comparisons skip the locale (PostgreSQL treats only "C"/"POSIX" as bytewise, not C.UTF-8 or en_US.UTF-8).
COLLATE_C = {
    "click": ["click_id", "visitor_id", "sub1", "country", "reason"],
    "click_unique_hourly": ["visitor", "sub1", "country"],
    "click_rollup_hourly": ["sub1", "country"],
    "click_rollup_invalid_hourly": ["sub1", "country", "reason"],
}
# PostgreSQL: the rollup key is the primary key (one index to maintain per new key instead of two), and pages
# keep room for the counters' updates to stay HOT (no new index entries).
PG_ROLLUP_KEYS = [
    "ALTER TABLE click_rollup_hourly DROP CONSTRAINT click_rollup_hourly_pkey",
    "ALTER TABLE click_rollup_hourly ADD CONSTRAINT click_rollup_hourly_pkey "
    "PRIMARY KEY (network, hour, offer, webmaster, sub1, country)",
    "ALTER TABLE click_rollup_hourly SET (fillfactor = 70)",
    "ALTER TABLE click_rollup_invalid_hourly DROP CONSTRAINT click_rollup_invalid_hourly_pkey",
    "ALTER TABLE click_rollup_invalid_hourly ADD CONSTRAINT click_rollup_invalid_hourly_pkey "
    "PRIMARY KEY (network, hour, offer, webmaster, sub1, country, reason)",
    "ALTER TABLE click_rollup_invalid_hourly SET (fillfactor = 70)",
]
PG_KEYS = {
    "click": "ALTER TABLE click ADD CONSTRAINT click_pkey PRIMARY KEY (click_id, created_at)",
    "click_unique_hourly": "ALTER TABLE click_unique_hourly ADD CONSTRAINT click_unique_hourly_pkey "
    "PRIMARY KEY (network, hour, offer, webmaster, visitor)",
}


async def _collate_c(conn, table):
    for column in COLLATE_C[table]:
        kind = await conn.fetch(
            "SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass "
            "AND attname = $2",
            table,
            column,
        )
        await conn.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind[0]["t"]} COLLATE "C"')


async def _set_aside(conn, table, column):
    """Rename a plain table aside and put an empty partitioned one in its place; None if already done."""
    done = await conn.fetch("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass($1)", table)
    if done:
        return None
    sequence = (await conn.fetch("SELECT pg_get_serial_sequence($1, 'id') AS s", table))[0]["s"]
    # The sequence belongs to the old table's id: detach it, or dropping the old table would drop it.
    await conn.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
    await conn.execute(f"ALTER TABLE {table} RENAME TO {table}_unpartitioned")
    await conn.execute(
        f"CREATE TABLE {table} (LIKE {table}_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE ({column})"
    )
    await _collate_c(conn, table)
    await conn.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    return sequence


async def _postgres(conn):
    converted = {}
    for table, column in PARTITIONED:
        sequence = await _set_aside(conn, table, column)
        if sequence is not None:
            converted[table] = (column, sequence)
    days = window(today())
    for table, (column, _) in converted.items():
        rows = await conn.fetch(
            f"SELECT DISTINCT ({column} AT TIME ZONE 'UTC')::date AS day FROM {table}_unpartitioned"  # noqa: S608
        )
        days |= {r["day"] for r in rows}
    await ensure_days(conn, days)
    for table, (_, sequence) in converted.items():
        await conn.execute(f"INSERT INTO {table} SELECT * FROM {table}_unpartitioned")  # noqa: S608
        await conn.execute(f"DROP TABLE {table}_unpartitioned")
        await conn.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
        # Keys and indexes after the rows: one build per partition instead of one insert per row.
        await conn.execute(PG_KEYS[table])
    for table in ("click_rollup_hourly", "click_rollup_invalid_hourly"):
        await _collate_c(conn, table)
    for sql in CLICK_INDEXES + PG_ROLLUP_KEYS:
        await conn.execute(sql)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tracking", description=DESCRIPTION)

    async def apply() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type == "sqlite":
            await run([*CLICK_INDEXES, *ROLLUP_KEYS, SQLITE_UNIQUE_KEY])
            return
        # piccolo runs a migration in one transaction: the conversion is all or nothing.
        transaction = engine.current_transaction.get()
        assert transaction is not None
        await _postgres(transaction.connection)

    manager.add_raw(apply)
    return manager
