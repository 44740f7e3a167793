"""One transaction helper for services; every context's tables are bound to the same engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from network.tenants.tables import Network


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    async with Network._meta.db.transaction():
        yield
