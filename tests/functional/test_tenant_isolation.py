"""Tenant isolation: for every route and role, another network's ids give 404 and reveal nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import Client
from tests.support.routes import OPS, PUBLIC, path_for
from tests.support.world import World

# Every request here is refused or only reads, so the module shares one app and two networks (see
# tests/conftest.py): a world per test made this the slowest module of the suite.
pytestmark = pytest.mark.asyncio(loop_scope="module")

ROLES = ("webmaster", "advertiser", "staff", "network_admin")
WITH_IDS = sorted(op_id for op_id, op in OPS.items() if "{" in op.path)
LISTS = sorted(
    op_id for op_id, op in OPS.items() if "{" not in op.path and op.method == "GET" and op.roles != PUBLIC
)


def _reveals_nothing(response: Any, other: World) -> None:
    assert other.tag not in response.text, response.text


@pytest.mark.parametrize("op_id", WITH_IDS)
async def test_foreign_ids_are_not_found(
    module_client: Client,
    module_world: World,
    module_other_world: World,
    op_id: str,
) -> None:
    client, world, other_world = module_client, module_world, module_other_world
    op = OPS[op_id]
    for role in ROLES:
        # The caller belongs to `world`; every id in the path belongs to `other_world`.
        response = await client.request(
            op.method, path_for(op, other_world, role), headers=world.auth(role), json=op.body(world, role)
        )
        expected = 404 if role in op.roles else 403
        assert response.status_code == expected, (op_id, role, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        _reveals_nothing(response, other_world)


@pytest.mark.parametrize("op_id", LISTS)
async def test_lists_show_only_own_network(
    module_client: Client,
    module_world: World,
    module_other_world: World,
    op_id: str,
) -> None:
    client, world, other_world = module_client, module_world, module_other_world
    op = OPS[op_id]
    for role in op.roles:
        response = await client.get(op.path, headers=world.auth(role), params={"limit": 200})
        assert response.status_code == 200, (op_id, role, response.text)
        _reveals_nothing(response, other_world)
        if op_id == "offers_list" and role != "webmaster":
            assert world.tag in response.text


async def test_foreign_ids_in_bodies_are_not_found(
    module_client: Client,
    module_world: World,
    module_other_world: World,
) -> None:
    client, world, other_world = module_client, module_world, module_other_world
    staff = world.auth("staff")
    invite = await client.post(
        f"/api/v1/offers/{world.offers['private']}/invitations",
        json={"webmaster_id": other_world.webmaster_id},
        headers=world.auth("advertiser"),
    )
    assert invite.status_code == 404
    offer = await client.post(
        "/api/v1/offers",
        headers=staff,
        json={
            "name": "x",
            "advertiser_id": other_world.advertiser_id,
            "goals": [{"key": "a", "name": "a"}],
            "landings": [{"name": "l", "url_template": "https://a.example/"}],
        },
    )
    assert offer.status_code == 404
    user = await client.post(
        "/api/v1/users",
        headers=staff,
        json={
            "email": f"x-{world.tag}@example.com",
            "password": "a-long-password",
            "role": "advertiser",
            "advertiser_id": other_world.advertiser_id,
        },
    )
    assert user.status_code == 404
    member = await client.put(
        f"/api/v1/groups/{world.group_id}/members/{other_world.webmaster_id}", headers=staff
    )
    assert member.status_code == 404
    for response in (invite, offer, user, member):
        _reveals_nothing(response, other_world)


async def test_login_is_scoped_to_the_network(
    module_client: Client, module_world: World, module_other_world: World
) -> None:
    client, world, other_world = module_client, module_world, module_other_world
    wrong = await client.post(
        "/api/v1/auth/login",
        json={
            "network": world.slug,
            "email": f"wm-{other_world.tag}@example.com",
            "password": "correct-horse-battery",
        },
    )
    assert wrong.status_code == 401
    right = await client.post(
        "/api/v1/auth/login",
        json={
            "network": other_world.slug,
            "email": f"wm-{other_world.tag}@example.com",
            "password": "correct-horse-battery",
        },
    )
    assert right.status_code == 200
