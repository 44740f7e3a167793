"""Staff traffic lists (``/api/v1/traffic-lists``): block and allow entries for IPs / CIDRs, sub values,
referrer domains and webmasters, normalised, with reasons and audit rows, never deleted, and applied by the
click engine of every node through the snapshot refresh. Both engines, no mocks."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import fastpath
from fastpath import FraudFlag, FraudSettings, build_snapshot
from fastpath.results import Click
from network import jsoncol
from network.audit.tables import AuditEntry
from network.lists.tables import TrafficListEntry
from network.tracking.registry import SnapshotRegistry
from network.tracking.snapshot import load_spec
from tests.support.client import Client
from tests.support.world import World

URL = "/api/v1/traffic-lists"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


def _click(world: World, ip: str, **extra: Any) -> Click:
    values: dict[str, Any] = {
        "user_agent": CHROME,
        "click_id": "CLKLIST",
        "subs": ("s1",) + ("",) * 9,
        "country": "US",
        "device": "mobile",
    }
    values.update(extra)
    return Click(world.offers["public"], world.webmaster_id, datetime.now(UTC).timestamp(), ip, **values)


async def _add(client: Client, world: World, status: int = 201, role: str = "staff", **body: str) -> Any:
    response = await client.post(URL, json={"reason": "test", **body}, headers=world.auth(role))
    assert response.status_code == status, response.text
    return response.json()


async def test_entries_are_normalised_refused_when_wrong_and_listed(client: Client, world: World) -> None:
    cidr = await _add(client, world, kind="ip", action="block", value=" 203.0.113.77/24 ")
    assert cidr["value"] == "203.0.113.0/24" and cidr["removed_at"] is None
    v6 = await _add(client, world, kind="ip", action="allow", value="2001:DB8::1")
    assert v6["value"] == "2001:db8::1/128"
    domain = await _add(client, world, kind="referrer_domain", action="block", value=".Ads.Example.COM")
    assert domain["value"] == "ads.example.com"
    wm = await _add(client, world, kind="webmaster", action="block", value=str(world.other_webmaster_id))
    assert wm["value"] == str(world.other_webmaster_id)
    await _add(client, world, kind="sub", action="block", value="bad-site-7")

    for body, field in (
        ({"kind": "ip", "action": "block", "value": "300.1.2.3"}, "value"),
        ({"kind": "referrer_domain", "action": "block", "value": "not a domain"}, "value"),
        ({"kind": "webmaster", "action": "block", "value": "999999"}, "value"),
        ({"kind": "sub", "action": "block", "value": "x", "reason": "   "}, "reason"),
    ):
        problem = await _add(client, world, 422, **body)
        assert problem["field"] == field and problem["status"] == 422
    again = await _add(client, world, 409, kind="ip", action="block", value="203.0.113.5/24")
    assert "already on the block list" in again["detail"]
    # The schema refuses unknown kinds and missing reasons outright.
    await _add(client, world, 400, kind="country", action="block", value="US")
    missing = await client.post(
        URL, json={"kind": "ip", "action": "block", "value": "1.2.3.4"}, headers=world.auth("staff")
    )
    assert missing.status_code == 400

    listed = await client.get(URL, headers=world.auth("staff"))
    assert listed.status_code == 200 and listed.json()["total"] == 5
    ips = await client.get(URL, params={"kind": "ip"}, headers=world.auth("network_admin"))
    assert {e["value"] for e in ips.json()["items"]} == {"203.0.113.0/24", "2001:db8::1/128"}
    for role in ("advertiser", "webmaster"):
        assert (await client.get(URL, headers=world.auth(role))).status_code == 403


async def test_removal_keeps_the_row_with_who_and_why_and_both_steps_are_audited(
    client: Client, world: World
) -> None:
    entry = await _add(
        client, world, kind="sub", action="block", value="spam-sub", reason="clicks from a bot farm"
    )
    staff = world.principals["staff"]
    no_reason = await client.post(
        f"{URL}/{entry['id']}/remove", json={"reason": " "}, headers=world.auth("staff")
    )
    assert no_reason.status_code == 422
    removed = await client.post(
        f"{URL}/{entry['id']}/remove", json={"reason": "the partner fixed it"}, headers=world.auth("staff")
    )
    assert removed.status_code == 200, removed.text
    out = removed.json()
    assert (
        out["removed_at"]
        and out["removed_by"] == staff.user_id
        and out["removed_reason"] == "the partner fixed it"
    )
    twice = await client.post(
        f"{URL}/{entry['id']}/remove", json={"reason": "again"}, headers=world.auth("staff")
    )
    assert twice.status_code == 409
    active = await client.get(URL, headers=world.auth("staff"))
    assert entry["id"] not in {e["id"] for e in active.json()["items"]}
    history = await client.get(URL, params={"include_removed": "true"}, headers=world.auth("staff"))
    assert entry["id"] in {e["id"] for e in history.json()["items"]}
    assert await TrafficListEntry.count().where(TrafficListEntry.id == entry["id"]) == 1
    # The same value may be blocked again once the old entry is off the list.
    await _add(client, world, kind="sub", action="block", value="spam-sub")

    rows = (
        await AuditEntry.select()
        .where((AuditEntry.entity == "traffic_list") & (AuditEntry.entity_id == str(entry["id"])))
        .order_by(AuditEntry.id)
    )
    assert [r["action"] for r in rows] == ["traffic_list.blocked", "traffic_list.removed"]
    assert [r["reason"] for r in rows] == ["clicks from a bot farm", "the partner fixed it"]
    assert jsoncol.load(rows[0]["after"]) == {"kind": "sub", "action": "block", "value": "spam-sub"}


async def test_the_click_engine_flags_what_the_lists_block_and_lets_allowed_through(
    client: Client, world: World
) -> None:
    await _add(client, world, kind="ip", action="block", value="198.51.100.0/24")
    await _add(client, world, kind="ip", action="allow", value="198.51.100.9")
    await _add(client, world, kind="sub", action="block", value="farm-1")
    await _add(client, world, kind="referrer_domain", action="block", value="junk.example")
    await _add(client, world, kind="webmaster", action="block", value=str(world.webmaster_id))
    await _add(client, world, kind="webmaster", action="allow", value=str(world.other_webmaster_id))
    spec = await load_spec(world.network_id)
    assert spec.lists.blocked_ips == ("198.51.100.0/24",) and spec.lists.allowed_ips == ("198.51.100.9/32",)
    assert spec.lists.blocked_webmasters == frozenset({world.webmaster_id})
    engine = fastpath.Engine(build_snapshot(spec))

    def flags(ip: str, **extra: Any) -> FraudFlag:
        return FraudFlag(engine.decide(_click(world, ip, **extra)).verdict.flags)

    assert FraudFlag.BLOCKED_IP in flags("198.51.100.20")
    assert FraudFlag.BLOCKED_IP not in flags("198.51.100.9")  # allowed beats blocked
    assert FraudFlag.BLOCKED_SUB in flags("81.2.69.10", subs=("x", "farm-1") + ("",) * 8)
    assert FraudFlag.BLOCKED_REFERRER in flags("81.2.69.11", referrer="https://m.junk.example/page")
    assert FraudFlag.BLOCKED_WEBMASTER in flags("81.2.69.12")
    decision = engine.decide(_click(world, "198.51.100.21"))
    assert not decision.verdict.valid and not decision.is_trafficback  # still redirected, never billable


async def test_a_new_entry_reaches_a_running_click_node_within_a_second(client: Client, world: World) -> None:
    fraud = FraudSettings(duplicate_slots=1024, ip_slots=1024, sub_slots=256, ua_cache_size=256)
    registry = SnapshotRegistry(preload=False, fraud=fraud)
    host = f"t-{world.tag}.example"
    await registry.refresh()
    node = await registry.node_for(host)
    assert node is not None and node.engine.decide(_click(world, "192.0.2.50")).verdict.valid
    loop = asyncio.create_task(registry.run())
    try:
        await _add(client, world, kind="ip", action="block", value="192.0.2.0/28")
        added = time.monotonic()
        seen = None
        n = 0
        while seen is None and time.monotonic() - added < 5:
            n += 1
            current = registry.node(host)
            assert current is not None
            verdict = current.engine.decide(_click(world, f"192.0.2.{n % 14 + 1}")).verdict
            if FraudFlag.BLOCKED_IP in FraudFlag(verdict.flags):
                seen = time.monotonic() - added
            await asyncio.sleep(0.02)
    finally:
        loop.cancel()
    assert seen is not None and seen < 1.0, seen
