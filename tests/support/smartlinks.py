"""Smartlinks made once per world for the route tables: one of the network's, one of the webmaster's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from network.tracking import smartlinks
from network.tracking.schemas import SmartlinkCreate, SmartlinkOfferIn
from tests.support.world import World

_STATE: dict[str, dict[str, int]] = {}


def smartlink_state(world: World) -> dict[str, int]:
    # Made on a worker thread with its own event loop, like the ledger state in routes.py: path parameters are
    # plain functions, and the test engines open a connection per query, so nothing is shared with the test.
    if world.tag not in _STATE:
        with ThreadPoolExecutor(max_workers=1) as pool:
            _STATE[world.tag] = pool.submit(asyncio.run, _seed(world)).result()
    return _STATE[world.tag]


async def _seed(world: World) -> dict[str, int]:
    offers = [SmartlinkOfferIn(offer_id=world.offers["public"], weight=1)]
    made = {}
    for owner, role in (("network", "staff"), ("webmaster", "webmaster")):
        data = SmartlinkCreate(name=f"Matrix {owner}", offers=offers)
        made[owner] = (await smartlinks.create(world.principals[role], data, "https://track.example")).id
    return made


def smartlink_of(world: World, role: str) -> int:
    """The smartlink a role can act on: a webmaster's own, the network's for everyone else."""
    return smartlink_state(world)["webmaster" if role == "webmaster" else "network"]


SMARTLINK_PARAMS: dict[str, Callable[[World, str], int | str]] = {"smartlink_id": smartlink_of}
