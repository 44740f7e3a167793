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
from dataclasses import dataclass, replace
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Max

import fastpath
from fastpath import FraudSettings, Snapshot, SnapshotSpec, build_snapshot
from network.audit.tables import AuditEntry
from network.db import database_errors
from network.stopping import Stop
from network.tenants.tables import Network
from network.tracking.ranges import RangeFiles
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


NETWORKS_MAX_AGE = 5.0
# How long an audit id below the newest one seen is waited for: ids are taken before commit, so a
# transaction with a lower id can commit after a higher one was seen. Counted in seconds, not ids, so a
# stream of postbacks (an audit row each) does not shorten the wait. MAX_GAPS bounds the ids waited for.
GAP_SECONDS = 30.0
MAX_GAPS = 2_000
FIRST_LOOKBACK = 1_000  # ids below the newest checked for gaps by the first poll
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
        ranges: RangeFiles | None = None,
    ) -> None:
        self.preload = preload
        self.fraud = fraud or FraudSettings()
        self.ranges = ranges  # the operator's range files (CPANET_FRAUD_RANGE_FILES), None = bundled only
        self.interval = interval
        self.max_age = max_age
        self._hosts: dict[str, int] = {}
        self._revisions: dict[int, int] = {}
        self._seen = 0  # the newest audit row id seen by a poll
        self._gaps: dict[int, float] = {}  # ids below it not seen yet -> when they were found missing
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
        relevant = not self._polled
        if not self._polled:
            # The first poll: every network's newest audit id, once.
            for r in await AuditEntry.select(AuditEntry.network, Max(AuditEntry.id, alias="max")).group_by(
                AuditEntry.network
            ):
                revisions[int(r["network"])] = int(r["max"] or 0)
                self._seen = max(self._seen, int(r["max"] or 0))
            # The ids just below the newest that are missing may belong to transactions still running.
            floor = max(0, self._seen - FIRST_LOOKBACK)
            recent = await AuditEntry.select(AuditEntry.id).where(AuditEntry.id > floor)
            present = {int(r["id"]) for r in recent}
            at = time.monotonic()
            self._gaps = {i: at for i in range(floor + 1, self._seen) if i not in present}
            self._polled = True
        else:
            for r in await self._new_rows():
                if r["entity"] not in NOT_IN_SNAPSHOT:
                    network_id = int(str(r["network"]))
                    revisions[network_id] = revisions.get(network_id, 0) + 1
                    relevant = True
        rebuilt = 0
        now = time.time()
        # Creating or changing a network writes an audit row too, so the list is re-read when the log moved
        # for something a snapshot depends on (and every NETWORKS_MAX_AGE seconds whatever happens): a quiet
        # poll is the one query of _new_rows, which returns nothing.
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

    async def _new_rows(self) -> list[dict[str, Any]]:
        """The audit rows not seen before: above the newest id seen, or one of the ids below it still waited
        for (``_gaps``, up to GAP_SECONDS), so that a late commit is seen. A quiet poll is one index lookup
        that returns nothing. Each row is returned once: the ids move from waited for to seen."""
        now = time.monotonic()
        self._gaps = {i: at for i, at in self._gaps.items() if now - at <= GAP_SECONDS}
        where: Combinable = AuditEntry.id > self._seen
        if self._gaps:
            where = where | AuditEntry.id.is_in(sorted(self._gaps))
        rows = await AuditEntry.select(AuditEntry.id, AuditEntry.network, AuditEntry.entity).where(where)
        new: list[dict[str, Any]] = []
        for r in sorted(rows, key=lambda row: int(str(row["id"]))):
            audit_id = int(str(r["id"]))
            if audit_id > self._seen:
                # The ids skipped on the way are waited for (taken by transactions not committed yet).
                missing = range(max(self._seen + 1, audit_id - MAX_GAPS), audit_id)
                self._gaps.update(dict.fromkeys(missing, now))
                self._seen = audit_id
            elif self._gaps.pop(audit_id, None) is None:
                continue
            new.append(r)
        if len(self._gaps) > MAX_GAPS:
            self._gaps = dict(sorted(self._gaps.items())[-MAX_GAPS:])
        return new

    async def _build(self, network_id: int, revision: int, old: Node | None) -> Node:
        spec = await load_spec(network_id, fraud=self.fraud)
        snapshot = await asyncio.to_thread(self._compile, spec)
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

    def _compile(self, spec: SnapshotSpec) -> Snapshot:
        """In a worker thread: the range files (re-read only when they changed) and the snapshot."""
        if self.ranges is not None:
            spec = replace(spec, datacenter_ranges=self.ranges.ranges())
        return build_snapshot(spec)

    async def run(self, stop: Stop | None = None) -> None:
        """Poll until ``stop`` is set (checked between polls)."""
        stop = stop or Stop()
        while not await stop.sleep(self.interval):
            try:
                await self.refresh()
            except database_errors() as exc:
                # The database may be down: keep serving clicks from the snapshots we have.
                log.warning("snapshot refresh failed; serving the last good snapshots: %s", exc)
