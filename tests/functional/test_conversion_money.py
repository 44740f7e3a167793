"""Conversions and money: concurrency, caps, pinned terms, holds, reversals, referrals, auth refusals."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from network.accounts.tables import Webmaster
from network.audit.tables import AuditEntry
from network.conversions import holds, intake
from network.conversions.policy import FinancePolicy, save
from network.conversions.pricing import hold_until
from network.conversions.tables import Conversion, ConversionEvent
from network.ledger import accounts
from network.ledger import repository as ledger
from network.ledger.tables import LedgerTransaction
from network.outgoing.tables import PostbackDelivery
from network.terms import service as terms
from tests.support.client import Client
from tests.support.conversions import click, credential, fund, postback
from tests.support.world import World, terms_payload


async def _balance(world: World, account: str, currency: str = "USD") -> int:
    found = await ledger.balances(tenant_id=world.network_id, accounts=[account])
    return found.get((account, currency), 0)


def _received(token: str, **params: str) -> intake.Received:
    return intake.Received(
        path="/postback",
        params={"token": token, **params},
        ip="127.0.0.1",
        visitor_id="",
        at=datetime.now(UTC),
    )


async def _zero_sum(world: World) -> None:
    totals: dict[str, int] = {}
    for (_account, currency), amount in (await ledger.all_balances(tenant_id=world.network_id)).items():
        totals[currency] = totals.get(currency, 0) + amount
    assert all(v == 0 for v in totals.values()), totals
    assert await ledger.verify_balances(tenant_id=world.network_id) == {}


async def test_hundred_identical_postbacks_make_one_conversion(client: Client, world: World) -> None:
    await fund(world, "1000.00")
    token = (await credential(client, world))["token"]
    click_id = await click(client, world)
    answers = await asyncio.gather(
        *[
            postback(client, token, click_id=click_id, order_id="ORD-100", sale_amount="10")
            for _ in range(100)
        ]
    )
    decisions = [a.json()["decision"] for a in answers]
    assert all(a.status_code == 200 for a in answers)
    assert decisions.count("accepted") == 1 and decisions.count("duplicate") == 99
    rows = await Conversion.select().where(Conversion.network == world.network_id)
    assert len(rows) == 1
    txns = await LedgerTransaction.count().where(
        (LedgerTransaction.network == world.network_id) & (LedgerTransaction.conversion == rows[0]["id"])
    )
    assert txns == 1
    assert {a.json()["conversion_id"] for a in answers} == {rows[0]["id"]}
    # The same through the service with 100 truly concurrent transactions (each its own connection), so the
    # unique dedup key, not request ordering, is what keeps it to one (30 in flight at a time).
    second = await click(client, world)
    gate = asyncio.Semaphore(30)  # PostgreSQL's max_connections is shared with the rest of the suite

    async def send() -> intake.Answer:
        async with gate:
            return await intake.receive(_received(token, click_id=second, order_id="ORD-101"))

    results = await asyncio.gather(*[send() for _ in range(100)])
    assert sorted(r.decision for r in results) == ["accepted"] + ["duplicate"] * 99
    assert len({r.conversion_id for r in results}) == 1
    assert await Conversion.count().where(Conversion.network == world.network_id) == 2
    assert await LedgerTransaction.count().where(LedgerTransaction.network == world.network_id) == 3
    await _zero_sum(world)


async def test_concurrent_conversions_against_a_cap_accept_exactly_k(client: Client, world: World) -> None:
    await fund(world, "1000.00")
    offer_id = world.offers["public"]
    caps = [{"period": "daily", "metric": "conversions", "limit": "3"}]
    response = await client.patch(
        f"/api/v1/offers/{offer_id}",
        json={"caps": caps, "cap_policy": "reject"},
        headers=world.auth("advertiser"),
    )
    assert response.status_code == 200, response.text
    token = (await credential(client, world))["token"]
    clicks = [await click(client, world) for _ in range(11)]
    late = clicks.pop()  # made before the cap fills (after that, clicks go to trafficback)
    answers = await asyncio.gather(
        *[postback(client, token, click_id=c, order_id=f"cap-{c}") for c in clicks]
    )
    bodies = [a.json() for a in answers]
    accepted = [b for b in bodies if b["decision"] == "accepted"]
    refused = [b for b in bodies if b["decision"] == "rejected"]
    assert len(accepted) == 3 and len(refused) == 7, bodies
    assert {b["reason"] for b in refused} == {"cap_reached"}
    assert await _balance(world, accounts.wm_available(world.webmaster_id)) == 3 * 1000
    # Hold policy: the next one is held for review instead, and is not released by the hold job.
    await client.patch(
        f"/api/v1/offers/{offer_id}", json={"cap_policy": "hold"}, headers=world.auth("advertiser")
    )
    held = (await postback(client, token, click_id=late, order_id="cap-hold")).json()
    assert (held["decision"], held["status"], held["reason"]) == ("accepted", "hold", "cap_reached")
    assert held["hold_until"] is None
    await _zero_sum(world)


async def test_conversion_after_a_terms_change_uses_the_clicks_version(client: Client, world: World) -> None:
    await fund(world, "1000.00")
    token = (await credential(client, world))["token"]
    click_id = await click(client, world)
    newer = await terms.publish(
        world.principals["advertiser"], world.offers["public"], terms_payload(payout=3, revenue=4)
    )
    body = (await postback(client, token, click_id=click_id, order_id="pin-1")).json()
    assert body["terms_version"] == world.terms["current"] != newer.id
    assert body["payout"] == "10.00"
    later_click = await click(client, world)
    later = (await postback(client, token, click_id=later_click, order_id="pin-2")).json()
    assert later["terms_version"] == newer.id and later["payout"] == "3.00"


async def test_hold_release_twice_approves_once(client: Client, world: World) -> None:
    await fund(world, "1000.00")
    await terms.publish(
        world.principals["advertiser"],
        world.offers["public"],
        terms_payload(payout=10, revenue=15, hold_days=2),
    )
    token = (await credential(client, world))["token"]
    body = (await postback(client, token, click_id=await click(client, world), order_id="h-1")).json()
    assert body["status"] == "hold" and body["hold_until"] is not None
    wm = world.webmaster_id
    assert await _balance(world, accounts.wm_pending(wm)) == 1000
    assert await _balance(world, accounts.wm_available(wm)) == 0
    # (The job is global: other tests' conversions share the database, so only this one is checked.)
    await holds.release_due(datetime.now(UTC))
    still = await Conversion.select(Conversion.status).where(Conversion.id == body["conversion_id"]).first()
    assert still == {"status": "hold"}
    later = datetime.now(UTC) + timedelta(days=3)
    await asyncio.gather(holds.release_due(later), holds.release_due(later))
    await holds.release_due(later)
    row = await Conversion.select().where(Conversion.id == body["conversion_id"]).first()
    assert row is not None and row["status"] == "approved" and row["reason"] == "hold_released"
    assert await _balance(world, accounts.wm_pending(wm)) == 0
    assert await _balance(world, accounts.wm_available(wm)) == 1000
    approvals = await ConversionEvent.count().where(
        (ConversionEvent.conversion == body["conversion_id"]) & (ConversionEvent.to_status == "approved")
    )
    assert approvals == 1
    await _zero_sum(world)


def test_hold_until_keeps_the_wall_clock_across_dst() -> None:
    # Berlin moves to summer time on 2026-03-29: a 1-day hold from 12:00 on the 28th ends at 12:00 local on
    # the 29th, which is 10:00 UTC, not 11:00 UTC (24 h later).
    start = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    end = hold_until(start, 1, "Europe/Berlin")
    assert end == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    assert hold_until(datetime(2026, 10, 24, 10, 0, tzinfo=UTC), 1, "Europe/Berlin") == datetime(
        2026, 10, 25, 11, 0, tzinfo=UTC
    )
    assert hold_until(start, 7, "UTC") == start + timedelta(days=7)


async def test_reversal_after_payout_leaves_a_negative_balance_and_a_retraction(
    client: Client, world: World
) -> None:
    await fund(world, "1000.00")
    endpoint = await client.post(
        "/api/v1/postback-endpoints",
        json={
            "url": "https://tracker.example/pb?cid={click_id}&status={status}&p={payout}",
            "statuses": ["approved"],
        },
        headers=world.auth("webmaster"),
    )
    token = (await credential(client, world))["token"]
    body = (await postback(client, token, click_id=await click(client, world), order_id="rev-1")).json()
    assert body["status"] == "approved"
    wm = world.webmaster_id
    # The webmaster is paid out (withdrawal requested and paid) before the chargeback.
    await ledger.post(
        tenant_id=world.network_id,
        kind="payout",
        key=f"test-payout-{world.tag}",
        legs=[ledger.Leg(accounts.wm_available(wm), "USD", -1000), ledger.Leg(accounts.CASH, "USD", 1000)],
    )
    response = await client.post(
        f"/api/v1/conversions/{body['conversion_id']}/status",
        json={"to": "reversed", "reason": "chargeback", "comment": "card chargeback from the bank"},
        headers=world.auth("advertiser"),
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["status"] == "reversed" and out["reason"] == "chargeback"
    assert [h["to_status"] for h in out["history"]] == ["approved", "reversed"]
    assert await _balance(world, accounts.wm_available(wm)) == -1000
    audit = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.network == world.network_id) & (AuditEntry.entity == "conversion")
    )
    assert {"conversion.created", "conversion.reversed"} <= {a["action"] for a in audit}
    assert endpoint.status_code == 201, endpoint.text
    events = await PostbackDelivery.select(PostbackDelivery.event, PostbackDelivery.url).where(
        PostbackDelivery.conversion == body["conversion_id"]
    )
    # The endpoint only asked for approvals, but the reversal of an approval it got is always sent.
    assert [e["event"] for e in events] == ["approved", "reversed"]
    assert "status=reversed" in events[1]["url"]
    # The webmaster sees it, with the reason.
    mine = (
        await client.get(f"/api/v1/conversions/{body['conversion_id']}", headers=world.auth("webmaster"))
    ).json()
    assert mine["status"] == "reversed" and mine["reason"] == "chargeback" and mine["revenue"] is None
    await _zero_sum(world)


async def test_three_level_referral_chain_is_credited_and_unwound(client: Client, world: World) -> None:
    await fund(world, "1000.00")
    await save(world.network_id, FinancePolicy(referral_shares=["10", "5", "2.5"], balance_gate="hold"))
    wm = world.webmaster_id
    # The chain wm <- r1 <- r2 <- r3 (r1 referred wm, r2 referred r1, ...), and a 4th that gets nothing.
    chain: list[int] = []
    above: int | None = None
    for level in range(4, 0, -1):
        rows = await Webmaster.insert(
            Webmaster(
                network=world.network_id,
                name=f"ref{level}",
                status="active",
                referral_code=f"r{level}{world.tag}",
                referred_by=above,
            )
        ).returning(Webmaster.id)
        above = int(rows[0]["id"])
        chain.insert(0, above)
    await Webmaster.update({Webmaster.referred_by: chain[0]}).where(Webmaster.id == wm)
    token = (await credential(client, world))["token"]
    body = (await postback(client, token, click_id=await click(client, world), order_id="ml-1")).json()
    assert body["status"] == "approved"
    got = [await _balance(world, accounts.wm_available(r)) for r in chain]
    assert got == [100, 50, 25, 0]  # 10 %, 5 %, 2.5 % of 10.00; the 4th level is beyond the programme
    assert await _balance(world, accounts.COMMISSION_COST) == -175
    staff_view = (
        await client.get(f"/api/v1/conversions/{body['conversion_id']}", headers=world.auth("staff"))
    ).json()
    assert [(c["level"], c["amount"]) for c in staff_view["commissions"]] == [
        (1, "1.00"),
        (2, "0.50"),
        (3, "0.25"),
    ]
    response = await client.post(
        f"/api/v1/conversions/{body['conversion_id']}/status",
        json={"to": "reversed", "reason": "refund", "comment": "order refunded"},
        headers=world.auth("staff"),
    )
    assert response.status_code == 200, response.text
    assert [await _balance(world, accounts.wm_available(r)) for r in chain] == [0, 0, 0, 0]
    assert await _balance(world, accounts.wm_available(wm)) == 0
    assert await _balance(world, accounts.COMMISSION_COST) == 0
    await _zero_sum(world)


def _signed(secret: str, params: dict[str, str], stamp: int) -> str:
    canonical = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), f"{stamp}.{canonical}".encode(), hashlib.sha256).hexdigest()


async def test_refused_postbacks_are_explained_logged_and_visible(client: Client, world: World) -> None:
    await fund(world, "100.00")
    cred = await credential(client, world, hmac=True, require_hmac=True, ip_allowlist=["10.9.0.0/16"])
    click_id = await click(client, world)
    wrong = await postback(client, "pbk_000000000000_nope", click_id=click_id)
    assert wrong.status_code == 401 and wrong.json()["reason"] == "invalid_token"
    assert wrong.headers["content-type"].startswith("application/problem+json")
    not_allowed = await client.get(
        "/postback",
        params={"token": cred["token"], "click_id": click_id},
        headers={"x-forwarded-for": "8.8.8.8"},
    )
    assert not_allowed.status_code == 403 and not_allowed.json()["reason"] == "ip_not_allowed"
    inside = {"x-forwarded-for": "10.9.1.2"}
    stale_ts = int(time.time()) - 301
    params = {"click_id": click_id, "order_id": "sig-1", "ts": str(stale_ts)}
    stale = await client.get(
        "/postback",
        params={
            **params,
            "token": cred["token"],
            "signature": _signed(cred["hmac_secret"], params, stale_ts),
        },
        headers=inside,
    )
    assert stale.status_code == 401 and stale.json()["reason"] == "stale_signature"
    unsigned = await client.get(
        "/postback", params={"token": cred["token"], "click_id": click_id}, headers=inside
    )
    assert unsigned.json()["reason"] == "signature_required"
    now = int(time.time())
    params = {"click_id": click_id, "order_id": "sig-1", "ts": str(now)}
    good = await client.get(
        "/postback",
        params={**params, "token": cred["token"], "signature": _signed(cred["hmac_secret"], params, now)},
        headers=inside,
    )
    assert good.status_code == 200 and good.json()["decision"] == "accepted", good.text
    log = (await client.get("/api/v1/postbacks/log", headers=world.auth("advertiser"))).json()["items"]
    reasons = [entry["reason"] for entry in log]
    assert {"ip_not_allowed", "stale_signature", "signature_required"} <= set(reasons)
    assert all(entry["params"].get("token") in (None, "***") for entry in log)
    assert (await client.get("/api/v1/postbacks/log", headers=world.auth("webmaster"))).status_code == 403


async def test_business_rejections_are_stored_with_their_reason(client: Client, world: World) -> None:
    await fund(world, "100.00")
    offer_id = world.offers["public"]
    await client.patch(
        f"/api/v1/offers/{offer_id}", json={"min_ctct_seconds": 3600}, headers=world.auth("advertiser")
    )
    token = (await credential(client, world))["token"]
    fast = (await postback(client, token, click_id=await click(client, world), order_id="fast")).json()
    assert (fast["decision"], fast["reason"]) == ("rejected", "below_min_ctct")
    unknown = (await postback(client, token, click_id="nope", order_id="x")).json()
    assert (unknown["decision"], unknown["reason"]) == ("rejected", "unknown_click")
    mine = (await client.get("/api/v1/conversions?status=rejected", headers=world.auth("webmaster"))).json()
    assert [c["reason"] for c in mine["items"]] == ["below_min_ctct"]
    assert mine["items"][0]["reason_detail"]


async def test_dialects_resolve_the_same_fields(client: Client, world: World) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    forms: list[tuple[str, dict[str, Any]]] = [
        ("/aff_lsr", {"security_token": token, "transaction_id": "{c}", "adv_sub": "T-1", "amount": "5"}),
        ("/postback", {"verification_token": token, "transaction_id": "{c}", "order_id": "E-1", "adv1": "x"}),
        ("/postback", {"token": token, "cid": "{c}", "txid": "V-1", "payout": "7.5", "status": "approved"}),
        ("/postback", {"token": token, "clickid": "{c}", "type": "lead", "status": "approved"}),
        ("/postback", {"secure": token, "clickid": "{c}", "action_id": "AF-1", "status": "1"}),
    ]
    for path, params in forms:
        c = await click(client, world)
        query = {k: v.replace("{c}", c) for k, v in params.items()}
        body = (await client.get(path, params=query)).json()
        assert body["decision"] == "accepted" and body["click_id"] == c, (path, body)


async def test_a_full_conversion_cap_sends_clicks_to_trafficback(client: Client, world: World) -> None:
    from network.tracking.tables import Click

    await fund(world, "1000.00")
    offer_id = world.offers["public"]
    caps = [{"period": "daily", "metric": "conversions", "limit": "2"}]
    await client.patch(f"/api/v1/offers/{offer_id}", json={"caps": caps}, headers=world.auth("advertiser"))
    token = (await credential(client, world))["token"]
    before = await click(client, world)
    row = await Click.select(Click.is_trafficback).where(Click.click_id == before).first()
    assert row == {"is_trafficback": False}
    for n in range(2):
        answer = (
            await postback(client, token, click_id=await click(client, world), order_id=f"full-{n}")
        ).json()
        assert answer["decision"] == "accepted", answer
    # The reservation that filled the cap left an audit row; the click nodes rebuild on it.
    after = await click(client, world)
    row = await Click.select(Click.is_trafficback, Click.reason).where(Click.click_id == after).first()
    assert row == {"is_trafficback": True, "reason": "cap_reached"}
