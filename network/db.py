"""Database engines built from Settings, and binding of every context's tables to one engine.

SQLite (WAL mode) is the embedded default; PostgreSQL is the production database. Both go through piccolo.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from network.settings import DatabaseSettings


def check_url(db: DatabaseSettings) -> None:
    if not db.is_sqlite and urlsplit(db.url).scheme not in {"postgresql", "postgres"}:
        raise ValueError(
            f"unsupported database URL scheme {urlsplit(db.url).scheme!r}: use sqlite:/// or postgresql://"
        )


def build_engine(db: DatabaseSettings) -> Engine[Any]:
    check_url(db)
    if db.is_sqlite:
        path = db.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        _enable_wal(str(path))
        # A generous busy timeout: embedded mode has one writer process, but requests overlap.
        return SQLiteEngine(path=str(path), timeout=30)
    return PostgresEngine(config={"dsn": db.url})


def _enable_wal(path: str) -> None:
    # journal_mode=WAL is persistent in the file, so setting it once per start is enough.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")


def all_tables() -> Iterator[type[Table]]:
    from network.piccolo_apps import APPS

    for app in APPS:
        yield from app.table_classes


def bind_tables(engine: Engine[Any]) -> None:
    """Point every table at ``engine`` so that no query depends on a global piccolo_conf."""
    for table in all_tables():
        table._meta.db = engine


async def start(engine: Engine[Any], db: DatabaseSettings) -> None:
    # pool_max == 0 means a connection per query: for callers whose event loop differs from the one that
    # starts the app (litestar's test client runs the lifespan in a portal thread).
    if isinstance(engine, PostgresEngine) and db.pool_max > 0:
        await engine.start_connection_pool(
            min_size=db.pool_min, max_size=db.pool_max, connection_class=_pooled_connection_class()
        )


def _pooled_connection_class() -> type[Any]:
    """asyncpg connections that skip the reset query when they go back to the pool. cpanet keeps no session
    state (advisory locks are transaction-scoped, temporary tables are dropped on commit, nothing LISTENs),
    and the reset was one extra round trip per query outside a transaction (a quarter of a postback's)."""
    import asyncpg

    class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
        def get_reset_query(self) -> str:
            return ""

    return PooledConnection


async def stop(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


def database_errors() -> tuple[type[BaseException], ...]:
    """Errors meaning "the database is unavailable or refused", for loops that must outlive an outage."""
    import asyncpg

    return (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)
