"""Test helpers for conversions: real clicks through the click endpoint, real postbacks, real credentials."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlsplit

from network.ledger import accounts
from network.ledger import repository as ledger
from network.money import to_minor
from network.tracking.tables import Click
from tests.support.client import Client
from tests.support.world import World

# The world's offers target mobile devices.
CHROME = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
)
_ips = itertools.count(1)


async def click(client: Client, world: World, offer: str = "public", **subs: str) -> str:
    """A real click through the tracking link, stored by the pipeline; returns its click id."""
    links = (
        await client.post(
            f"/api/v1/offers/{world.offers[offer]}/links", json=subs, headers=world.auth("webmaster")
        )
    ).json()
    await client.app.state.click_registry.refresh()
    parts = urlsplit(links["cpanet"]["url"])
    n = next(_ips)
    response = await client.get(
        parts.path + "?" + parts.query,
        headers={
            "host": parts.netloc,
            "user-agent": CHROME,
            "x-country": "US",
            "x-forwarded-for": f"81.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
        },
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    click_id: str = response.headers["x-click-id"]
    await client.app.state.click_forwarder.drain()
    assert await Click.exists().where(Click.click_id == click_id)
    return click_id


async def credential(client: Client, world: World, **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/advertisers/{world.advertiser_id}/postback-credentials",
        json=body,
        headers=world.auth("advertiser"),
    )
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    return out


async def fund(world: World, amount: str, currency: str = "USD") -> None:
    """Test setup: the advertiser's prepaid deposit, as a balanced ledger transaction."""
    minor = to_minor(amount, currency)
    await ledger.post(
        tenant_id=world.network_id,
        kind="deposit",
        key=f"test-deposit:{world.tag}:{amount}:{next(_ips)}",
        legs=[
            ledger.Leg(accounts.CASH, currency, -minor),
            ledger.Leg(accounts.adv_prepaid(world.advertiser_id), currency, minor),
        ],
    )


async def postback(client: Client, token: str, path: str = "/postback", **params: Any) -> Any:
    query = {"token": token, **{k: str(v) for k, v in params.items()}}
    return await client.get(path, params=query)
