"""GET postbacks are served by the raw ASGI handler (network/conversions/front.py) before litestar; POST ones
by the litestar route. Both must read a postback and answer it alike: the same decision documents, the same
problem documents for refusals and for bad input, the signature headers and the visitor cookie read the same
way. Each case is sent both ways and the answers compared."""

from __future__ import annotations

import time
from typing import Any

from network.conversions.front import POSTBACK_PATHS
from network.conversions.tables import Conversion
from tests.functional.test_conversion_money import _signed
from tests.support.client import Client
from tests.support.conversions import click, credential, fund
from tests.support.world import World

# Fields that differ between two conversions (or two log rows) of otherwise equal postbacks.
_OWN = ("conversion_id", "click_id", "hold_until", "message")


def _alike(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same members, equal but for those of the conversion itself (its id, click, dates, message)."""
    assert list(a) == list(b), (a, b)
    return all(a[k] == b[k] for k in a if k not in _OWN)


async def _both(
    client: Client, path: str, get: dict[str, str], post: dict[str, str], **headers: str
) -> tuple[Any, Any]:
    by_get = await client.get(path, params=get, headers=headers)
    by_post = await client.post(path, data=post, headers=headers)
    return by_get, by_post


async def test_get_and_post_answer_alike(client: Client, world: World) -> None:
    assert {"/postback", "/aff_lsr"} <= POSTBACK_PATHS
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    first, second = await click(client, world), await click(client, world)
    # Accepted: one conversion each, the same terms, payout and status.
    got, posted = await _both(
        client,
        "/postback",
        {"token": token, "click_id": first, "order_id": "f-1", "sale_amount": "10"},
        {"token": token, "click_id": second, "order_id": "f-2", "sale_amount": "10"},
    )
    assert (got.status_code, posted.status_code) == (200, 200), (got.text, posted.text)
    assert got.headers["content-type"] == posted.headers["content-type"] == "application/json"
    assert got.json()["decision"] == "accepted" and got.json()["click_id"] == first
    assert got.json()["payout"] is not None and _alike(got.json(), posted.json()), (got.text, posted.text)
    assert posted.json()["click_id"] == second
    assert await Conversion.count().where(Conversion.network == world.network_id) == 2
    # The TUNE dialect on its own path (GET only): a duplicate of the first, as cpanet's form resent by POST.
    tune = await client.get(
        "/aff_lsr", params={"security_token": token, "transaction_id": first, "adv_sub": "f-1"}
    )
    resent = await client.post("/postback", data={"token": token, "click_id": first, "order_id": "f-1"})
    assert tune.json() == resent.json() and tune.json()["decision"] == "duplicate", tune.text
    # Refused: the same RFC 9457 document with the decision fields, status 401.
    bad = {"token": "cpb_nope", "click_id": first, "order_id": "x"}
    got, posted = await _both(client, "/postback", bad, bad)
    assert got.status_code == posted.status_code == 401
    assert got.headers["content-type"] == posted.headers["content-type"] == "application/problem+json"
    assert got.json() == posted.json()
    assert got.json()["reason"] == "invalid_token" and got.json()["type"].endswith("postback-invalid-token")
    # Bad input: the same 422 problem, with the parameter named.
    nan = {"token": token, "click_id": first, "order_id": "n-1", "sale_amount": "many"}
    got, posted = await _both(client, "/postback", nan, nan)
    assert got.status_code == posted.status_code == 422, got.text
    assert got.json() == posted.json() and got.json()["reason"] == "invalid_parameter"
    assert "sale_amount" in got.json()["detail"]
    assert await Conversion.count().where(Conversion.network == world.network_id) == 2


async def test_signature_headers_and_first_values_are_read_alike(client: Client, world: World) -> None:
    """An HMAC signature sent in the X-Cpanet-Signature and X-Cpanet-Timestamp headers on both routes, and
    (by GET) a parameter sent twice: the first value counts, in the signature and in the conversion."""
    await fund(world, "100.00")
    cred = await credential(client, world, hmac=True, require_hmac=True)
    now = str(int(time.time()))
    for n, send in enumerate(("get", "post")):
        click_id = await click(client, world)
        params = {"click_id": click_id, "order_id": f"h-{n}"}
        # The timestamp header is read as the parameter ``timestamp``, so it is signed as one.
        signature = _signed(cred["hmac_secret"], {**params, "timestamp": now}, int(now))
        headers = {"x-cpanet-signature": signature, "x-cpanet-timestamp": now}
        query = {**params, "token": cred["token"]}
        if send == "get":
            response = await client.get(
                "/postback?" + "&".join(f"{k}={v}" for k, v in query.items()) + "&order_id=ignored",
                headers=headers,
            )
        else:
            response = await client.post("/postback", data=query, headers=headers)
        assert response.status_code == 200 and response.json()["decision"] == "accepted", response.text
        row = await Conversion.select(Conversion.order_id).where(Conversion.click_id == click_id).first()
        assert row is not None and row["order_id"] == f"h-{n}"
        unsigned = await client.get("/postback", params={**query, "order_id": f"u-{n}"})
        assert unsigned.json()["reason"] == "signature_required"
