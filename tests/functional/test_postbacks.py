"""Inbound postbacks: explained answers, dialects, attribution, pricing by the pinned version, dedup."""

from __future__ import annotations

from network.ledger import accounts
from network.ledger import repository as ledger
from tests.support.client import Client
from tests.support.conversions import click, credential, fund, postback
from tests.support.world import World


async def test_accepted_postback_is_explained_and_posted(client: Client, world: World) -> None:
    await fund(world, "100.00")
    cred = await credential(client, world)
    click_id = await click(client, world, sub1="abc")
    response = await postback(client, cred["token"], click_id=click_id, order_id="A-1", sale_amount="99.90")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision"] == "accepted", body
    assert body["click_id"] == click_id
    assert body["terms_version"] == world.terms["current"]
    assert body["payout"] == "10.00" and body["currency"] == "USD"
    assert body["status"] == "approved"
    balances = await ledger.balances(
        tenant_id=world.network_id,
        accounts=[accounts.wm_available(world.webmaster_id), accounts.adv_prepaid(world.advertiser_id)],
    )
    assert balances[accounts.wm_available(world.webmaster_id), "USD"] == 1000
    assert balances[accounts.adv_prepaid(world.advertiser_id), "USD"] == 10000 - 1500
    again = (await postback(client, cred["token"], click_id=click_id, order_id="A-1")).json()
    assert again["decision"] == "duplicate" and again["conversion_id"] == body["conversion_id"]
