"""The click engine's snapshot, compiled from a real network's database state."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from piccolo.query.functions.aggregate import Max

import fastpath
from fastpath import FraudSettings, Reason, build_snapshot
from fastpath.results import Click
from network.accounts import service as accounts
from network.accounts.schemas import StatusChange
from network.audit.tables import AuditEntry
from network.offers import service as offers
from network.offers.schemas import Transition
from network.terms import service as terms
from network.tracking.registry import SnapshotRegistry
from network.tracking.snapshot import load_spec
from tests.support.client import Client
from tests.support.world import World, terms_payload

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


def _click(offer: int, wm: int, at: datetime, ip: str = "81.2.69.160", **extra: object) -> Click:
    values: dict[str, object] = {
        "user_agent": CHROME,
        "click_id": "CLK123",
        "subs": ("s1",) + ("",) * 9,
        "country": "US",
        "device": "mobile",
    }
    values.update(extra)
    return Click(offer, wm, at.timestamp(), ip, **values)  # type: ignore[arg-type]


async def test_snapshot_routes_approved_webmasters_to_the_landing(client: Client, world: World) -> None:
    now = datetime.now(UTC)
    engine = fastpath.Engine(build_snapshot(await load_spec(world.network_id)))
    decision = engine.decide(_click(world.offers["public"], world.webmaster_id, now))
    assert decision.reason == Reason.OK and not decision.is_trafficback
    url = urlsplit(decision.url)
    assert url.netloc == f"shop-{world.tag}.example" and parse_qs(url.query) == {
        "cid": ["CLK123"],
        "s": ["s1"],
    }
    pinned = await terms.pin(
        tenant_id=world.network_id, offer_id=world.offers["public"], webmaster_id=world.webmaster_id, at=now
    )
    assert decision.terms_version_id == pinned == world.terms["current"]
    later = engine.decide(
        _click(world.offers["public"], world.webmaster_id, now + timedelta(days=8), ip="81.2.69.161")
    )
    assert later.terms_version_id == world.terms["upcoming"]


async def test_snapshot_sends_everything_else_to_trafficback_with_a_reason(
    client: Client, world: World
) -> None:
    now = datetime.now(UTC)
    engine = fastpath.Engine(build_snapshot(await load_spec(world.network_id)))
    # The other webmaster only asked to join the approval-required offer.
    no_access = engine.decide(_click(world.offers["approval_required"], world.other_webmaster_id, now))
    assert no_access.is_trafficback and no_access.reason == Reason.NO_ACCESS
    assert no_access.url == "https://tb.example/x"
    draft = engine.decide(_click(world.offers["draft"], world.webmaster_id, now))
    assert draft.is_trafficback and draft.reason in (Reason.OFFER_INACTIVE, Reason.NO_ACCESS)
    geo = engine.decide(_click(world.offers["public"], world.webmaster_id, now, country="FR"))
    assert geo.reason == Reason.GEO_MISMATCH
    device = engine.decide(_click(world.offers["public"], world.webmaster_id, now, device="desktop"))
    assert device.reason == Reason.DEVICE_MISMATCH


async def test_state_changes_show_up_in_the_next_snapshot(client: Client, world: World) -> None:
    now = datetime.now(UTC)
    staff = world.principals["staff"]
    await offers.transition(staff, world.offers["public"], Transition(to="paused", reason="budget"))
    await accounts.set_webmaster_status(
        staff, world.webmaster_id, StatusChange(status="banned", reason="bots")
    )
    deal = await terms.publish(
        world.principals["advertiser"],
        world.offers["approval_required"],
        terms_payload(payout=50, revenue=60, webmaster_id=world.webmaster_id),
    )
    engine = fastpath.Engine(build_snapshot(await load_spec(world.network_id)))
    paused = engine.decide(_click(world.offers["public"], world.other_webmaster_id, now))
    assert paused.is_trafficback
    banned = engine.decide(_click(world.offers["approval_required"], world.webmaster_id, now))
    assert banned.is_trafficback and banned.reason == Reason.WEBMASTER_BLOCKED
    await accounts.set_webmaster_status(staff, world.webmaster_id, StatusChange(status="active", reason="ok"))
    engine.swap_snapshot(build_snapshot(await load_spec(world.network_id)))
    # A click made after the private deal took effect is pinned to it.
    back = engine.decide(
        _click(world.offers["approval_required"], world.webmaster_id, datetime.now(UTC), ip="81.2.69.170")
    )
    assert back.reason == Reason.OK and back.terms_version_id == deal.id


async def test_a_change_reaches_every_click_node_within_a_second(client: Client, world: World) -> None:
    """Two click nodes (two registries, as two processes would have), each polling on its own: pausing an
    offer sends its clicks to trafficback on both within 1 s."""
    fraud = FraudSettings(duplicate_slots=1024, ip_slots=1024, sub_slots=256, ua_cache_size=256)
    nodes = [SnapshotRegistry(preload=False, fraud=fraud) for _ in range(2)]
    host = f"t-{world.tag}.example"
    offer_id = world.offers["public"]
    for registry in nodes:
        await registry.refresh()
        node = await registry.node_for(host)
        assert node is not None
        assert not node.engine.decide(_click(offer_id, world.webmaster_id, datetime.now(UTC))).is_trafficback
    loops = [asyncio.create_task(registry.run()) for registry in nodes]
    try:
        await offers.transition(
            world.principals["staff"], offer_id, Transition(to="paused", reason="fanout test")
        )
        changed = time.monotonic()
        seen: dict[int, float] = {}
        while len(seen) < len(nodes) and time.monotonic() - changed < 5:
            for n, registry in enumerate(nodes):
                node = registry.node(host)
                assert node is not None
                click = _click(offer_id, world.webmaster_id, datetime.now(UTC), ip=f"81.2.70.{n + 1}")
                if n not in seen and node.engine.decide(click).is_trafficback:
                    seen[n] = time.monotonic() - changed
            await asyncio.sleep(0.02)
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
    assert len(seen) == 2 and max(seen.values()) < 1.0, seen


async def test_a_quiet_poll_rebuilds_nothing_and_a_late_commit_is_still_seen(
    client: Client, world: World
) -> None:
    """A poll that finds the audit log as it was rebuilds nothing; an audit row that commits after a higher
    id was seen (ids are taken before commit) still counts as a change of its network."""
    registry = SnapshotRegistry(preload=True, fraud=FraudSettings(duplicate_slots=1024, ip_slots=1024))
    await registry.refresh()
    assert await registry.refresh() == 0 and await registry.refresh() == 0
    if AuditEntry._meta.db.engine_type == "postgres":
        # Two ids taken from the sequence, as two transactions would take them.
        taken = await AuditEntry.raw(
            "SELECT nextval(pg_get_serial_sequence('audit_entry', 'id')) AS id FROM generate_series(1, 2)"
        )
        early, late = sorted(int(r["id"]) for r in taken)
    else:
        newest = await AuditEntry.select(Max(AuditEntry.id, alias="m")).first()
        assert newest is not None
        early, late = int(newest["m"]) + 5, int(newest["m"]) + 10

    def row(audit_id: int) -> AuditEntry:
        return AuditEntry(
            id=audit_id, network=world.network_id, entity="test", entity_id="1", action="test.late"
        )

    await AuditEntry.insert(row(late))  # committed first, with the higher id
    assert await registry.refresh() == 1
    node = registry.node(f"t-{world.tag}.example")
    assert node is not None
    revision = node.revision
    assert await registry.refresh() == 0
    await AuditEntry.insert(row(early))  # took its id earlier, committed later
    assert await registry.refresh() == 1
    node = registry.node(f"t-{world.tag}.example")
    assert node is not None and node.revision == revision + 1
    assert await registry.refresh() == 0


async def test_audit_rows_of_conversions_and_payouts_rebuild_no_snapshot(
    client: Client, world: World
) -> None:
    """A postback writes a conversion.created audit row; neither it nor a withdrawal's rebuilds the click
    snapshot (NOT_IN_SNAPSHOT), but both count as seen: the next change of an offer rebuilds it once."""
    registry = SnapshotRegistry(preload=True, fraud=FraudSettings(duplicate_slots=1024, ip_slots=1024))
    await registry.refresh()
    node = registry.node(f"t-{world.tag}.example")
    assert node is not None
    revision, built_at = node.revision, node.built_at
    for entity in ("conversion", "conversion", "withdrawal"):
        await AuditEntry.insert(
            AuditEntry(network=world.network_id, entity=entity, entity_id="1", action=f"{entity}.created")
        )
        assert await registry.refresh() == 0
    node = registry.node(f"t-{world.tag}.example")
    assert node is not None and (node.revision, node.built_at) == (revision, built_at)
    await AuditEntry.insert(
        AuditEntry(network=world.network_id, entity="offer", entity_id="1", action="offer.cap_reached")
    )
    assert await registry.refresh() == 1
    node = registry.node(f"t-{world.tag}.example")
    assert node is not None and node.revision == revision + 1
    assert await registry.refresh() == 0


async def test_a_late_commit_is_seen_behind_a_stream_of_postbacks(client: Client, world: World) -> None:
    """An offer change whose audit id was taken before 1,200 conversion audit rows (a second or two of
    postbacks) and committed after them still rebuilds the snapshot: ids are waited for by time, not by how
    many newer ids there are."""
    registry = SnapshotRegistry(preload=True, fraud=FraudSettings(duplicate_slots=1024, ip_slots=1024))
    await registry.refresh()
    if AuditEntry._meta.db.engine_type == "postgres":
        taken = await AuditEntry.raw("SELECT nextval(pg_get_serial_sequence('audit_entry', 'id')) AS id")
        early = int(taken[0]["id"])
        ids: list[int | None] = [None] * 1200
    else:
        newest = await AuditEntry.select(Max(AuditEntry.id, alias="m")).first()
        assert newest is not None
        early = int(newest["m"]) + 1
        ids = [early + 1 + i for i in range(1200)]

    def row(entity: str, audit_id: int | None) -> AuditEntry:
        entry = AuditEntry(network=world.network_id, entity=entity, entity_id="1", action=f"{entity}.changed")
        if audit_id is not None:
            entry.id = audit_id
        return entry

    for start in range(0, len(ids), 300):
        await AuditEntry.insert(*(row("conversion", i) for i in ids[start : start + 300]))
        assert await registry.refresh() == 0
    await AuditEntry.insert(row("offer", early))  # took its id before all of them, committed after
    assert await registry.refresh() == 1
    assert await registry.refresh() == 0
