"""Click nodes' view of every network: tracking host -> compiled snapshot, kept fresh.

Embedded mode polls for changes: every state change that matters to clicks (offers, access, terms,
statuses) writes an audit row in the same transaction, so a network's revision counts its audit rows (those
of entities a snapshot depends on: not conversions, withdrawals, postback settings, ...; NOT_IN_SNAPSHOT).
A changed revision rebuilds that network's snapshot off the event loop and swaps it in atomically.
Snapshots are also rebuilt every ``max_age`` seconds for time-based state (time zone offsets, cap periods).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count, Max

import fastpath
from fastpath import FraudSettings, build_snapshot
from network.audit.tables import AuditEntry
from network.db import database_errors
from network.stopping import Stop
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


REVISION_WINDOW = 500
NETWORKS_MAX_AGE = 5.0
# Audit rows of entities that nothing in a click snapshot depends on: they are counted as seen but change no
# network's revision, so a stream of postbacks (a conversion.created audit row each) does not rebuild the
# click snapshot on every poll. A conversion that fills a cap writes an ``offer`` row (offer.cap_reached),
# and a balance-gate pause an ``offer`` row too, which do rebuild it.
NOT_IN_SNAPSHOT = frozenset(
    {
        "conversion",
        "coupon",
        "lead",
        "withdrawal",
        "payout_batch",
        "postback_auth",
        "postback_endpoint",
        "postback_delivery",
        "api_key",
    }
)


class SnapshotRegistry:
    def __init__(
        self,
        *,
        preload: bool = True,
        fraud: FraudSettings | None = None,
        interval: float = 0.1,
        max_age: float = 300.0,
    ) -> None:
        self.preload = preload
        self.fraud = fraud or FraudSettings()
        self.interval = interval
        self.max_age = max_age
        self._hosts: dict[str, int] = {}
        self._revisions: dict[int, int] = {}
        self._seen = 0  # the newest audit row id seen by a poll
        self._known: set[int] = set()  # the ids seen within REVISION_WINDOW of it
        self._polled = False
        self._by_network: dict[int, Node] = {}
        self._building: dict[int, asyncio.Lock] = {}
        self._networks: list[dict[str, Any]] | None = None
        self._networks_at = 0.0

    def node(self, host: str) -> Node | None:
        network_id = self._hosts.get(host.lower())
        return None if network_id is None else self._by_network.get(network_id)

    async def node_for(self, host: str) -> Node | None:
        """The node for a tracking host; without preloading, a known host's first click builds its engine."""
        found = self.node(host)
        if found is not None or self.preload:
            return found
        network_id = self._hosts.get(host.lower())
        if network_id is None:
            return None  # unknown hosts never reach the database
        lock = self._building.setdefault(network_id, asyncio.Lock())
        async with lock:
            node = self._by_network.get(network_id)
            if node is None:
                node = await self._build(network_id, self._revisions.get(network_id, 0), None)
            return node

    async def refresh(self) -> int:
        """Rebuild what changed; return how many networks were rebuilt. Safe to run concurrently (the poll
        loop and a caller): revisions change in place, each audit id is counted once, no await in between."""
        revisions = self._revisions
        if not self._polled:
            # The first poll: every network's newest audit id, once.
            for r in await AuditEntry.select(AuditEntry.network, Max(AuditEntry.id, alias="max")).group_by(
                AuditEntry.network
            ):
                revisions[int(r["network"])] = int(r["max"] or 0)
                self._seen = max(self._seen, int(r["max"] or 0))
        # Then incremental: only the newest audit rows are read, so a poll is one small index range scan
        # however long the log grows. Ids are taken before commit, so a transaction with a lower id can commit
        # after a higher one was seen: each poll re-reads REVISION_WINDOW ids below the newest seen and counts
        # any id not seen before as a change of its network.
        floor = max(0, self._seen - REVISION_WINDOW)
        changed = not self._polled or await self._window_changed(floor)
        rows: list[dict[str, object]] = []
        if changed:
            rows = await AuditEntry.select(AuditEntry.id, AuditEntry.network, AuditEntry.entity).where(
                AuditEntry.id > floor
            )
        relevant = not self._polled
        for r in rows:
            audit_id, network_id = int(str(r["id"])), int(str(r["network"]))
            if audit_id not in self._known:
                self._known.add(audit_id)
                if self._polled and r["entity"] not in NOT_IN_SNAPSHOT:
                    revisions[network_id] = revisions.get(network_id, 0) + 1
                    relevant = True
                self._seen = max(self._seen, audit_id)
        self._known = {i for i in self._known if i > self._seen - REVISION_WINDOW}
        self._polled = True
        rebuilt = 0
        now = time.time()
        # Creating or changing a network writes an audit row too, so the list is re-read when the log moved
        # for something a snapshot depends on (and every NETWORKS_MAX_AGE seconds whatever happens): a quiet
        # poll is the one aggregate above.
        if relevant or self._networks is None or now - self._networks_at > NETWORKS_MAX_AGE:
            self._networks = await Network.select(Network.id, Network.tracking_host)
            self._networks_at = now
        networks = self._networks
        for network in networks:
            network_id = int(network["id"])
            revision = revisions.get(network_id, 0)
            node = self._by_network.get(network_id)
            if node is None and not self.preload:
                continue
            if node is None or node.revision != revision or now - node.built_at > self.max_age:
                await self._build(network_id, revision, node)
                rebuilt += 1
        self._hosts = {str(n["tracking_host"]).lower(): int(n["id"]) for n in networks}
        return rebuilt

    async def _window_changed(self, floor: int) -> bool:
        """Whether the audit rows above ``floor`` are other than the ones already seen: one aggregate row
        instead of reading the whole window on every poll. The log is append-only, so the same count and the
        same newest id above the floor mean the same rows."""
        row = (
            await AuditEntry.select(Count(AuditEntry.id, alias="n"), Max(AuditEntry.id, alias="newest"))
            .where(AuditEntry.id > floor)
            .first()
        )
        count = int(row["n"] or 0) if row else 0
        newest = int(row["newest"] or 0) if row else 0
        known = sum(1 for i in self._known if i > floor)
        return count != known or (count > 0 and newest != self._seen)

    async def _build(self, network_id: int, revision: int, old: Node | None) -> Node:
        spec = await load_spec(network_id, fraud=self.fraud)
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

    async def run(self, stop: Stop | None = None) -> None:
        """Poll until ``stop`` is set (checked between polls)."""
        stop = stop or Stop()
        while not await stop.sleep(self.interval):
            try:
                await self.refresh()
            except database_errors() as exc:
                # The database may be down: keep serving clicks from the snapshots we have.
                log.warning("snapshot refresh failed; serving the last good snapshots: %s", exc)
