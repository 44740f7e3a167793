"""Ids the role and tenant matrices need for the conversions and outgoing-postback routes: one world's
credential, conversion, coupon, endpoint and delivery, made once per world through the services; and a fresh
password reset token per call."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from network.accounts import password_reset
from network.accounts.password_reset import PasswordResets
from network.conversions import intake
from network.conversions import service as conversions
from network.conversions.schemas import CredentialIn
from network.mail import Outbox
from network.outgoing import service as outgoing
from network.outgoing.schemas import EndpointIn
from network.outgoing.tables import PostbackDelivery
from network.tracking.clickid import new_click_id
from network.tracking.tables import Click
from tests.support.conversions import fund
from tests.support.world import World

_SEEDED: dict[str, dict[str, str]] = {}


def reset_token(world: World) -> str:
    """A fresh password reset token for the world's webmaster, issued as staff do without mail."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _reset_token(world)).result()


async def _reset_token(world: World) -> str:
    resets = PasswordResets(ttl_seconds=3600, base_url="https://cabinet.example", outbox=Outbox(None))
    issued = await password_reset.issue_link(
        resets, world.principals["network_admin"], world.user_ids["webmaster"], ip="127.0.0.1"
    )
    return issued.url.rsplit("/", 1)[1]


def conversion_state(world: World) -> dict[str, str]:
    if world.tag not in _SEEDED:
        with ThreadPoolExecutor(max_workers=1) as pool:
            _SEEDED[world.tag] = pool.submit(asyncio.run, _seed(world)).result()
    return _SEEDED[world.tag]


async def _seed(world: World) -> dict[str, str]:
    adv, wm = world.principals["advertiser"], world.principals["webmaster"]
    cred = await conversions.create_credential(adv, world.advertiser_id, CredentialIn())
    spare = await conversions.create_credential(adv, world.advertiser_id, CredentialIn())
    endpoint = await outgoing.create(wm, EndpointIn(url="https://tracker.example/pb?c={click_id}&s={status}"))
    await fund(world, "100.00")
    click_id = new_click_id()
    await Click.insert(
        Click(
            click_id=click_id,
            network=world.network_id,
            offer=world.offers["public"],
            webmaster=world.webmaster_id,
            terms_version=world.terms["current"],
            created_at=datetime.now(UTC),
            country="US",
        )
    )
    answer = await intake.receive(
        intake.Received(
            path="/postback",
            params={
                "token": cred.token or "",
                "click_id": click_id,
                "order_id": "matrix",
                "status": "pending",
            },
            ip="127.0.0.1",
            visitor_id="",
            at=datetime.now(UTC),
        )
    )
    assert answer.conversion_id is not None, answer
    delivery = (
        await PostbackDelivery.select(PostbackDelivery.id)
        .where(PostbackDelivery.conversion == answer.conversion_id)
        .first()
    )
    assert delivery is not None
    return {
        "pb_token": cred.token or "",
        "credential_id": str(spare.id),
        "conversion_id": str(answer.conversion_id),
        "endpoint_id": str(endpoint.id),
        "delivery_id": str(delivery["id"]),
    }
