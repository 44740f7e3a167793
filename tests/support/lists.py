"""Traffic list entries for the route tables: a fresh one for each call, so every role that may remove an
entry finds an active one (made on a worker thread with its own event loop, like the smartlinks)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from network.lists import service
from network.lists.schemas import ListEntryCreate
from tests.support.world import World

_numbers = itertools.count(1)


async def _make(world: World) -> int:
    n = next(_numbers)
    data = ListEntryCreate(kind="sub", action="block", value=f"matrix-{n}", reason="route table")
    return (await service.add(world.principals["staff"], data)).id


def list_entry(world: World, role: str) -> int:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _make(world)).result()


LIST_PARAMS: dict[str, Callable[[World, str], int | str]] = {"entry_id": list_entry}
