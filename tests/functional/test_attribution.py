"""Attribution beyond the click id: coupons, pre-registered leads, the visitor cookie, and the race where the
postback arrives before its click is stored."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from network.conversions import intake
from network.conversions.tables import Conversion, QueuedPostback
from network.tracking.clickid import new_click_id
from network.tracking.endpoint import VISITOR_COOKIE
from network.tracking.tables import Click
from tests.support.client import Client
from tests.support.conversions import CHROME, click, credential, fund, postback
from tests.support.world import World


async def test_postback_before_its_click_is_queued_then_attributed(client: Client, world: World) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    click_id = new_click_id()
    early = await postback(client, token, click_id=click_id, order_id="race-1")
    assert early.status_code == 202, early.text
    assert (early.json()["decision"], early.json()["reason"]) == ("queued", "click_not_stored_yet")
    assert await intake.retry_queued() is not None
    assert not await Conversion.exists().where(Conversion.network == world.network_id)
    # The click reaches storage (as the pipeline would store it) after the postback.
    await Click.insert(
        Click(
            click_id=click_id,
            network=world.network_id,
            offer=world.offers["public"],
            webmaster=world.webmaster_id,
            terms_version=world.terms["current"],
            created_at=datetime.now(UTC) - timedelta(seconds=5),
            country="US",
        )
    )
    await intake.retry_queued()
    row = await Conversion.select().where(Conversion.network == world.network_id).first()
    assert row is not None and row["click_id"] == click_id and row["webmaster"] == world.webmaster_id
    assert row["status"] == "approved"
    queued = await QueuedPostback.select().where(QueuedPostback.network == world.network_id).first()
    assert queued is not None and queued["state"] == "done" and queued["conversion"] == row["id"]
    # A second identical postback now answers duplicate.
    again = (await postback(client, token, click_id=click_id, order_id="race-1")).json()
    assert again["decision"] == "duplicate" and again["conversion_id"] == row["id"]
    log = (await client.get("/api/v1/postbacks/log", headers=world.auth("advertiser"))).json()["items"]
    assert [e["decision"] for e in log][:2] == ["duplicate", "accepted"] and log[-1]["decision"] == "queued"


async def test_queued_postback_expires_as_unknown_click(client: Client, world: World) -> None:
    token = (await credential(client, world))["token"]
    click_id = new_click_id()
    assert (await postback(client, token, click_id=click_id)).status_code == 202
    await intake.retry_queued(now=datetime.now(UTC) + timedelta(hours=1))
    queued = await QueuedPostback.select().where(QueuedPostback.network == world.network_id).first()
    assert queued is not None and (queued["state"], queued["reason"]) == ("expired", "unknown_click")
    log = (await client.get("/api/v1/postbacks/log", headers=world.auth("advertiser"))).json()["items"]
    assert log[0]["decision"] == "rejected" and log[0]["reason"] == "unknown_click"
    # An old or malformed click id is not waited for.
    old = (await postback(client, token, click_id=new_click_id(now=1_600_000_000))).json()
    assert (old["decision"], old["reason"]) == ("rejected", "unknown_click")


async def test_coupon_attributes_to_its_webmaster(client: Client, world: World) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    offer_id = world.offers["public"]
    made = await client.post(
        f"/api/v1/offers/{offer_id}/coupons",
        json={"webmaster_id": world.webmaster_id, "code": "spring-25"},
        headers=world.auth("advertiser"),
    )
    assert made.status_code == 201, made.text
    taken = await client.post(
        f"/api/v1/offers/{offer_id}/coupons",
        json={"webmaster_id": world.other_webmaster_id, "code": "SPRING-25"},
        headers=world.auth("advertiser"),
    )
    assert taken.status_code == 409
    body = (await postback(client, token, offer_id=offer_id, coupon="Spring-25", order_id="cp-1")).json()
    assert body["decision"] == "accepted" and body["attribution"] == "coupon", body
    assert body["terms_version"] == world.terms["current"] and body["payout"] == "10.00"
    row = await Conversion.select().where(Conversion.id == body["conversion_id"]).first()
    assert row is not None and row["webmaster"] == world.webmaster_id
    unknown = (await postback(client, token, offer_id=offer_id, coupon="NOPE", order_id="cp-2")).json()
    assert unknown["reason"] == "unknown_coupon"


async def test_lead_registered_in_advance_wins_the_sale(client: Client, world: World) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    offer_id = world.offers["public"]
    email_hash = hashlib.sha256(b"buyer@example.com").hexdigest()
    registered = await client.post(
        f"/api/v1/offers/{offer_id}/leads", json={"lead_key": email_hash}, headers=world.auth("webmaster")
    )
    assert registered.status_code == 201, registered.text
    body = (await postback(client, token, offer_id=offer_id, email_sha256=email_hash, order_id="ld-1")).json()
    assert body["decision"] == "accepted" and body["attribution"] == "lead", body
    row = await Conversion.select().where(Conversion.id == body["conversion_id"]).first()
    assert row is not None and row["webmaster"] == world.webmaster_id


async def test_pixel_attributes_by_the_visitor_cookie(client: Client, world: World) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    links = (
        await client.post(
            f"/api/v1/offers/{world.offers['public']}/links", json={}, headers=world.auth("webmaster")
        )
    ).json()
    await client.app.state.click_registry.refresh()
    parts = urlsplit(links["cpanet"]["url"])
    first = await client.get(
        parts.path + "?" + parts.query,
        headers={
            "host": parts.netloc,
            "user-agent": CHROME,
            "x-country": "US",
            "x-forwarded-for": "81.9.9.9",
        },
        follow_redirects=False,
    )
    assert first.status_code == 302
    visitor = first.cookies.get(VISITOR_COOKIE) or first.headers["set-cookie"].split("=", 1)[1].split(";")[0]
    await client.app.state.click_forwarder.drain()
    pixel = await client.get(
        "/pixel.gif",
        params={"token": token, "offer_id": world.offers["public"], "order_id": "px-1"},
        headers={"cookie": f"{VISITOR_COOKIE}={visitor}"},
    )
    assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
    assert pixel.headers["x-cpanet-decision"] == "accepted", pixel.headers
    row = await Conversion.select().where(Conversion.network == world.network_id).first()
    assert (
        row is not None and row["attribution"] == "cookie" and row["click_id"] == first.headers["x-click-id"]
    )


async def test_balance_gate_holds_and_pauses_and_releases_when_funded(client: Client, world: World) -> None:
    from network.conversions import holds
    from network.conversions.policy import FinancePolicy, save
    from network.offers.tables import Offer

    await save(world.network_id, FinancePolicy(balance_gate="pause_offer"))
    token = (await credential(client, world))["token"]
    body = (await postback(client, token, click_id=await click(client, world), order_id="gate-1")).json()
    assert (body["decision"], body["status"], body["reason"]) == ("accepted", "hold", "advertiser_balance")
    offer = (
        await Offer.select(Offer.status, Offer.status_reason)
        .where(Offer.id == world.offers["public"])
        .first()
    )
    assert offer is not None and offer["status"] == "paused" and "prepaid balance" in offer["status_reason"]
    mine = (
        await client.get(f"/api/v1/conversions/{body['conversion_id']}", headers=world.auth("webmaster"))
    ).json()
    assert mine["reason"] == "advertiser_balance" and mine["reason_detail"]
    await holds.recheck_balance_holds()
    assert (
        await Conversion.select(Conversion.reason).where(Conversion.id == body["conversion_id"]).first()
    ) == {"reason": "advertiser_balance"}
    await fund(world, "50.00")
    await holds.recheck_balance_holds()
    row = await Conversion.select().where(Conversion.id == body["conversion_id"]).first()
    assert row is not None and row["status"] == "approved" and row["reason"] == "balance_funded"


async def test_advertiser_bulk_decisions_with_reasons(client: Client, world: World) -> None:
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    ids = []
    for n in range(3):
        answer = (
            await postback(
                client, token, click_id=await click(client, world), order_id=f"b-{n}", status="pending"
            )
        ).json()
        assert answer["status"] == "pending"
        ids.append(answer["conversion_id"])
    response = await client.post(
        "/api/v1/conversions/bulk-status",
        json={
            "ids": [*ids[:2], 999_999_999],
            "to": "rejected",
            "reason": "fraud_geo",
            "comment": "VPN traffic",
        },
        headers=world.auth("advertiser"),
    )
    assert response.status_code == 200, response.text
    results = response.json()
    assert [r["ok"] for r in results] == [True, True, False]
    approved = await client.post(
        f"/api/v1/conversions/{ids[2]}/status", json={"to": "approved"}, headers=world.auth("advertiser")
    )
    assert approved.json()["status"] == "approved"
    webmaster_view = (await client.get("/api/v1/conversions", headers=world.auth("webmaster"))).json()[
        "items"
    ]
    assert {(c["status"], c["reason"]) for c in webmaster_view} == {
        ("rejected", "fraud_geo"),
        ("approved", "manual"),
    }
    # A webmaster cannot decide, and an advertiser cannot move a reversed one back.
    refused = await client.post(
        f"/api/v1/conversions/{ids[2]}/status", json={"to": "rejected"}, headers=world.auth("webmaster")
    )
    assert refused.status_code == 403
