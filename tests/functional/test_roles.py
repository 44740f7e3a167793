"""Role matrix: which role may call which route, and what no role can do by mass assignment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import Client
from tests.support.routes import OPS, PUBLIC, path_for
from tests.support.world import World, offer_payload

# Route guards do not depend on the database; the tenant-isolation matrix runs on both engines.
pytestmark = pytest.mark.sqlite_only


ROLE_ORDER = ("anonymous", "webmaster", "advertiser", "staff", "network_admin")


def _assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (
        body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("https://")
    )


async def _call(client: Client, world: World, op_id: str, role: str) -> Any:
    op = OPS[op_id]
    headers = {} if role == "anonymous" else world.auth(role)
    body = op.body(world, role)
    return await client.request(op.method, path_for(op, world, role), headers=headers, json=body)


def test_table_names_every_route(client: Client) -> None:
    schema = client.app.openapi_schema
    seen = {}
    for path, item in (schema.paths or {}).items():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is not None:
                seen[operation.operation_id] = (method.upper(), path)
    assert set(seen) == set(OPS), f"routes without an expected-roles row: {set(seen) ^ set(OPS)}"
    for op_id, (method, path) in seen.items():
        assert (OPS[op_id].method, OPS[op_id].path) == (method, path), op_id


# Reads share one world per module (tests/functional/test_roles_reads.py); the rest may change what later
# calls see (a ban, a revoked key), so each gets a world of its own.
WRITES = sorted(op_id for op_id, op in OPS.items() if op.method != "GET")


@pytest.mark.parametrize("op_id", WRITES)
async def test_role_matrix(client: Client, world: World, op_id: str) -> None:
    await check_matrix(client, world, op_id)


async def check_matrix(client: Client, world: World, op_id: str) -> None:
    """Every role in turn: allowed roles are not refused (and one of them succeeds), the others get 403,
    anonymous callers 401, each as a problem document."""
    op = OPS[op_id]
    successes = 0
    for role in ROLE_ORDER:
        response = await _call(client, world, op_id, role)
        assert response.status_code < 500, (op_id, role, response.text)
        if role == "anonymous" and op.roles != PUBLIC:
            _assert_problem(response, 401)
        elif role in op.roles:
            assert response.status_code not in (401, 403), (op_id, role, response.text)
            successes += response.status_code < 300
        else:
            _assert_problem(response, 403)
    assert successes, f"{op_id}: no allowed role succeeded, so the matrix proves nothing for it"


async def test_webmaster_cannot_create_or_edit_offers(client: Client, world: World) -> None:
    payload = {
        "name": "x",
        "goals": [{"key": "a", "name": "a"}],
        "landings": [{"name": "l", "url_template": "https://a.example/"}],
    }
    _assert_problem(await client.post("/api/v1/offers", json=payload, headers=world.auth("webmaster")), 403)
    patch = {"caps": [{"period": "daily", "metric": "clicks", "limit": "1"}]}
    url = f"/api/v1/offers/{world.offers['public']}"
    _assert_problem(await client.patch(url, json=patch, headers=world.auth("webmaster")), 403)


@pytest.mark.parametrize(
    "field,value",
    [
        ("status", "active"),
        ("network", 1),
        ("network_id", 2),
        ("payout", "9.99"),
        ("id", 5),
        ("status_reason", "x"),
    ],
)
async def test_advertiser_mass_assignment_is_refused(
    client: Client,
    world: World,
    field: str,
    value: Any,
) -> None:
    import msgspec

    body = msgspec.to_builtins(offer_payload(world.tag))
    body[field] = value
    response = await client.post("/api/v1/offers", json=body, headers=world.auth("advertiser"))
    _assert_problem(response, 400)
    assert field in response.text
    patch = await client.patch(
        f"/api/v1/offers/{world.offers['draft']}", json={field: value}, headers=world.auth("advertiser")
    )
    _assert_problem(patch, 400)
    offer = await client.get(f"/api/v1/offers/{world.offers['draft']}", headers=world.auth("advertiser"))
    assert offer.json()["status"] == "draft"


async def test_advertiser_cannot_approve_its_own_offer(client: Client, world: World) -> None:
    url = f"/api/v1/offers/{world.offers['draft']}/transitions"
    assert (
        await client.post(url, json={"to": "pending"}, headers=world.auth("advertiser"))
    ).status_code == 200
    _assert_problem(await client.post(url, json={"to": "active"}, headers=world.auth("advertiser")), 403)
    offer = await client.get(f"/api/v1/offers/{world.offers['draft']}", headers=world.auth("advertiser"))
    assert offer.json()["status"] == "pending"
    ok = await client.post(url, json={"to": "active", "reason": "looks fine"}, headers=world.auth("staff"))
    assert ok.json()["status"] == "active"


async def test_advertiser_cannot_create_offers_for_another_advertiser(client: Client, world: World) -> None:
    import msgspec

    other = await client.post(
        "/api/v1/users",
        headers=world.auth("staff"),
        json={"email": f"o-{world.tag}@example.com", "password": "a-long-password", "role": "advertiser"},
    )
    body = msgspec.to_builtins(offer_payload(world.tag))
    body["advertiser_id"] = other.json()["advertiser_id"]
    _assert_problem(await client.post("/api/v1/offers", json=body, headers=world.auth("advertiser")), 403)


async def test_webmaster_signup_cannot_choose_its_status_or_role(client: Client, world: World) -> None:
    base = {
        "network": world.slug,
        "email": f"s-{world.tag}@example.com",
        "password": "a-long-password",
        "name": "S",
    }
    for field, value in (("status", "active"), ("role", "network_admin"), ("network_id", 1)):
        _assert_problem(await client.post("/api/v1/signup/webmaster", json={**base, field: value}), 400)
    ok = await client.post("/api/v1/signup/webmaster", json=base)
    assert ok.status_code == 201 and ok.json()["status"] == "pending"


async def test_staff_cannot_create_admins_but_admin_can(client: Client, world: World) -> None:
    body = {"email": f"boss-{world.tag}@example.com", "password": "a-long-password", "role": "network_admin"}
    _assert_problem(await client.post("/api/v1/users", json=body, headers=world.auth("staff")), 403)
    created = await client.post("/api/v1/users", json=body, headers=world.auth("network_admin"))
    assert created.status_code == 201 and created.json()["role"] == "network_admin"
