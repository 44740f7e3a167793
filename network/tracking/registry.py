"""Click nodes' view of every network: tracking host -> compiled snapshot, kept fresh.

Embedded mode polls for changes: every state change that matters to clicks (offers, access, terms,
statuses) writes an audit row in the same transaction, so a network's highest audit id is its revision.
A changed revision rebuilds that network's snapshot off the event loop and swaps it in atomically.
Snapshots are also rebuilt every ``max_age`` seconds for time-based state (time zone offsets, cap periods).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Max

import fastpath
from fastpath import build_snapshot
from network.audit.tables import AuditEntry
from network.db import database_errors
from network.tenants.tables import Network
from network.tracking.snapshot import load_spec

log = logging.getLogger("cpanet.tracking")


@dataclass
class Node:
    network_id: int
    engine: fastpath.Engine
    landing_offer: dict[int, int]  # CAKE links name a landing; this finds its offer
    trafficback_url: str | None
    revision: int
    built_at: float


class SnapshotRegistry:
    def __init__(self, *, interval: float = 0.25, max_age: float = 300.0) -> None:
        self.interval = interval
        self.max_age = max_age
        self._by_host: dict[str, Node] = {}
        self._by_network: dict[int, Node] = {}

    def node(self, host: str) -> Node | None:
        return self._by_host.get(host.lower())

    async def refresh(self) -> int:
        """Rebuild what changed; return how many networks were rebuilt."""
        networks = await Network.select(Network.id, Network.tracking_host)
        revisions = {
            int(r["network"]): int(r["max"] or 0)
            for r in await AuditEntry.select(AuditEntry.network, Max(AuditEntry.id, alias="max")).group_by(
                AuditEntry.network
            )
        }
        rebuilt = 0
        hosts: dict[str, Node] = {}
        now = time.time()
        for network in networks:
            network_id = int(network["id"])
            revision = revisions.get(network_id, 0)
            node = self._by_network.get(network_id)
            if node is None or node.revision != revision or now - node.built_at > self.max_age:
                node = await self._build(network_id, revision, node)
                rebuilt += 1
            hosts[str(network["tracking_host"]).lower()] = node
        self._by_host = hosts
        return rebuilt

    async def _build(self, network_id: int, revision: int, old: Node | None) -> Node:
        spec = await load_spec(network_id)
        snapshot = await asyncio.to_thread(build_snapshot, spec)
        landing_offer = {landing.id: offer.id for offer in spec.offers for landing in offer.landings}
        if old is not None:
            # Same engine, new snapshot: fraud state (duplicates, velocity) and cap counters carry over.
            old.engine.swap_snapshot(snapshot)
            engine = old.engine
        else:
            engine = fastpath.Engine(snapshot)
        node = Node(network_id, engine, landing_offer, spec.trafficback_url, revision, time.time())
        self._by_network[network_id] = node
        return node

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.refresh()
            except database_errors() as exc:
                # The database may be down: keep serving clicks from the snapshots we have.
                log.warning("snapshot refresh failed; serving the last good snapshots: %s", exc)
