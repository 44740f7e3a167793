"""The postback path's caches (network/conversions/cache.py): a change of a cached row, made through the API
or straight in the database by another connection (as another worker process would), is seen by the very
next postback."""

from __future__ import annotations

import sqlite3

import asyncpg

from network import jsoncol
from network.conversions import cache
from network.conversions.tables import Conversion
from network.outgoing.tables import PostbackDelivery
from network.settings import DatabaseSettings, Settings
from tests.support.client import Client
from tests.support.conversions import click, credential, fund, postback
from tests.support.world import World


async def _update_elsewhere(settings: Settings, table: str, assignment: str, row_id: int) -> None:
    """``UPDATE table SET assignment WHERE id = row_id`` on a connection of its own, outside the app and its
    engine (as another worker process would), committed."""
    sql = f"UPDATE {table} SET {assignment} WHERE id = {int(row_id)}"  # noqa: S608 - the tests' own constants
    db: DatabaseSettings = settings.database
    if db.is_sqlite:
        with sqlite3.connect(db.sqlite_path, timeout=30) as conn:
            conn.execute(sql)
        return
    conn = await asyncpg.connect(db.url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _generation() -> int:
    return (await cache.current()).generation


async def test_revoked_credential_is_refused_by_the_next_postback(client: Client, world: World) -> None:
    await fund(world, "100.00")
    made = await credential(client, world)
    first = await postback(client, made["token"], click_id=await click(client, world), order_id="rv-1")
    assert first.json()["decision"] == "accepted"
    revoked = await client.delete(
        f"/api/v1/advertisers/{world.advertiser_id}/postback-credentials/{made['id']}",
        headers=world.auth("advertiser"),
    )
    assert revoked.status_code in {200, 204}, revoked.text
    refused = await postback(client, made["token"], click_id=await click(client, world), order_id="rv-2")
    assert refused.status_code == 401 and refused.json()["reason"] == "invalid_token"


async def test_credential_revoked_by_another_connection(
    client: Client, world: World, settings: Settings
) -> None:
    await fund(world, "100.00")
    made = await credential(client, world)
    first = await postback(client, made["token"], click_id=await click(client, world), order_id="rc-1")
    assert first.json()["decision"] == "accepted"
    before = await _generation()
    await _update_elsewhere(settings, "postback_auth", "revoked_at = CURRENT_TIMESTAMP", int(made["id"]))
    assert await _generation() > before
    refused = await postback(client, made["token"], click_id=await click(client, world), order_id="rc-2")
    assert refused.status_code == 401 and refused.json()["reason"] == "invalid_token"


async def test_goal_added_through_the_api(client: Client, world: World) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    offer_id = world.offers["public"]
    unknown = await postback(client, token, click_id=await click(client, world), order_id="g-1", goal="sale")
    assert (unknown.json()["decision"], unknown.json()["reason"]) == ("rejected", "unknown_goal")
    goals = [{"key": "lead", "name": "Lead", "kind": "CPL"}, {"key": "sale", "name": "Sale", "kind": "CPS"}]
    changed = await client.patch(
        f"/api/v1/offers/{offer_id}", json={"goals": goals}, headers=world.auth("advertiser")
    )
    assert changed.status_code == 200, changed.text
    known = await postback(client, token, click_id=await click(client, world), order_id="g-2", goal="sale")
    assert (known.json()["decision"], known.json()["goal"]) == ("accepted", "sale"), known.json()


async def test_cap_added_through_the_api(client: Client, world: World) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    offer_id = world.offers["public"]
    clicks = [await click(client, world) for _ in range(3)]
    assert (await postback(client, token, click_id=clicks[0], order_id="c-0")).json()[
        "decision"
    ] == "accepted"
    caps = [{"period": "daily", "metric": "conversions", "limit": "1"}]
    changed = await client.patch(
        f"/api/v1/offers/{offer_id}",
        json={"caps": caps, "cap_policy": "reject"},
        headers=world.auth("advertiser"),
    )
    assert changed.status_code == 200, changed.text
    # Caps count from when they exist: the first conversion after the change fits, the second does not.
    assert (await postback(client, token, click_id=clicks[1], order_id="c-1")).json()[
        "decision"
    ] == "accepted"
    full = (await postback(client, token, click_id=clicks[2], order_id="c-2")).json()
    assert (full["decision"], full["reason"]) == ("rejected", "cap_reached")


async def test_offer_changed_by_another_connection(client: Client, world: World, settings: Settings) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    offer_id = world.offers["public"]
    fine = await postback(client, token, click_id=await click(client, world), order_id="o-1")
    assert fine.json()["decision"] == "accepted"
    await _update_elsewhere(settings, "offer", "min_ctct_seconds = 3600", offer_id)
    fast = (await postback(client, token, click_id=await click(client, world), order_id="o-2")).json()
    assert (fast["decision"], fast["reason"]) == ("rejected", "below_min_ctct")


async def test_finance_policy_put_through_the_api(client: Client, world: World) -> None:
    token = (await credential(client, world))["token"]  # not funded: the balance gate holds
    held = (await postback(client, token, click_id=await click(client, world), order_id="f-1")).json()
    assert (held["status"], held["reason"]) == ("hold", "advertiser_balance")
    policy = (await client.get("/api/v1/network/finance", headers=world.auth("network_admin"))).json()
    put = await client.put(
        "/api/v1/network/finance",
        json={**policy, "balance_gate": "off"},
        headers=world.auth("network_admin"),
    )
    assert put.status_code == 200, put.text
    free = (await postback(client, token, click_id=await click(client, world), order_id="f-2")).json()
    assert free["decision"] == "accepted" and free["reason"] != "advertiser_balance", free


async def test_referrer_set_by_another_connection(client: Client, world: World, settings: Settings) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    policy = (await client.get("/api/v1/network/finance", headers=world.auth("network_admin"))).json()
    await client.put(
        "/api/v1/network/finance",
        json={**policy, "referral_shares": ["10"]},
        headers=world.auth("network_admin"),
    )
    alone = (await postback(client, token, click_id=await click(client, world), order_id="r-1")).json()
    row = (
        await Conversion.select(Conversion.commissions).where(Conversion.id == alone["conversion_id"]).first()
    )
    assert row is not None and jsoncol.load(row["commissions"]) == []
    referrer = world.other_webmaster_id
    await _update_elsewhere(settings, "webmaster", f"referred_by = {referrer}", world.webmaster_id)
    referred = (await postback(client, token, click_id=await click(client, world), order_id="r-2")).json()
    row = (
        await Conversion.select(Conversion.commissions)
        .where(Conversion.id == referred["conversion_id"])
        .first()
    )
    assert row is not None and [c[:2] for c in jsoncol.load(row["commissions"])] == [[referrer, 1]]


async def test_endpoint_added_through_the_api(client: Client, world: World, settings: Settings) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    first = (await postback(client, token, click_id=await click(client, world), order_id="e-1")).json()
    assert await PostbackDelivery.count().where(PostbackDelivery.conversion == first["conversion_id"]) == 0
    made = await client.post(
        "/api/v1/postback-endpoints",
        json={"url": "https://tracker.example/pb?cid={click_id}&s={status}"},
        headers=world.auth("webmaster"),
    )
    assert made.status_code == 201, made.text
    endpoint_id = int(made.json()["id"])
    second = (await postback(client, token, click_id=await click(client, world), order_id="e-2")).json()
    deliveries = await PostbackDelivery.select(PostbackDelivery.state).where(
        PostbackDelivery.conversion == second["conversion_id"]
    )
    assert [d["state"] for d in deliveries] == ["queued"]
    # Each delivery attempt updates the failure counter: not a change the cache watches.
    before = await _generation()
    await _update_elsewhere(settings, "postback_endpoint", "consecutive_failures = 3", endpoint_id)
    assert await _generation() == before
    # Pausing it is.
    await _update_elsewhere(settings, "postback_endpoint", "enabled = false", endpoint_id)
    assert await _generation() > before
    third = (await postback(client, token, click_id=await click(client, world), order_id="e-3")).json()
    deliveries = await PostbackDelivery.select(PostbackDelivery.state).where(
        PostbackDelivery.conversion == third["conversion_id"]
    )
    assert [d["state"] for d in deliveries] == ["paused"]


async def test_refusal_from_a_cached_credential_is_confirmed_first(
    client: Client, world: World, settings: Settings
) -> None:
    """A refusal resting on a cached row (here the IP allowlist) is given only once the generation is
    confirmed: when the row changed meanwhile, the postback starts again on the new row."""
    await fund(world, "100.00")
    made = await credential(client, world, ip_allowlist=["10.0.0.0/8"])
    refused = await postback(client, made["token"], click_id=await click(client, world), order_id="ip-1")
    assert refused.status_code == 403 and refused.json()["reason"] == "ip_not_allowed"
    await _update_elsewhere(settings, "postback_auth", "ip_allowlist = '[]'", int(made["id"]))
    allowed = await postback(client, made["token"], click_id=await click(client, world), order_id="ip-2")
    assert allowed.status_code == 200 and allowed.json()["decision"] == "accepted", allowed.json()
