"""Fixed SQL straight to asyncpg on PostgreSQL, for the postback path's hottest statements: the current
transaction's connection, else the pool, else a connection of its own (as piccolo does without a pool).
Everything here returns "not run" on SQLite, where the callers use their piccolo queries."""

from __future__ import annotations

from typing import Any

from piccolo.engine.postgres import PostgresEngine

from network.tenants.tables import Network

Row = dict[str, Any]


def engine() -> PostgresEngine | None:
    found = Network._meta.db
    return found if isinstance(found, PostgresEngine) else None


def connection() -> Any | None:
    """The asyncpg connection of the current piccolo transaction on PostgreSQL, else None."""
    pg = engine()
    if pg is None:
        return None
    transaction = pg.current_transaction.get()
    return None if transaction is None else transaction.connection


async def fetchrow(sql: str, *args: Any) -> tuple[bool, Row | None]:
    """(True, the first row as a dict or None) of ``sql``; (False, None) on SQLite."""
    pg = engine()
    if pg is None:
        return False, None
    transaction = pg.current_transaction.get()
    if transaction is not None:
        record = await transaction.connection.fetchrow(sql, *args)
    elif pg.pool is not None:
        record = await pg.pool.fetchrow(sql, *args)
    else:
        conn = await pg.get_new_connection()
        try:
            record = await conn.fetchrow(sql, *args)
        finally:
            await conn.close()
    return True, None if record is None else dict(record)
