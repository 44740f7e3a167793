"""One transaction helper for services; every context's tables are bound to the same engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from network.tenants.tables import Network


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    engine = Network._meta.db
    if isinstance(engine, SQLiteEngine):
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads and then writes fails at
        # once with "database is locked" when another writer (the click writer) holds the lock, instead of
        # waiting for the busy timeout.
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
        return
    async with engine.transaction():
        yield
