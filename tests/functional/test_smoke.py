from __future__ import annotations

from tests.support.client import Client
from tests.support.world import World


async def test_health(client: Client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_world_builds_and_webmaster_sees_catalogue(client: Client, world: World) -> None:
    response = await client.get("/api/v1/offers", headers=world.auth("webmaster"))
    assert response.status_code == 200, response.text
    body = response.json()
    ids = {o["id"] for o in body["items"]}
    assert {world.offers["public"], world.offers["approval_required"], world.offers["private"]} <= ids
    assert world.offers["draft"] not in ids
