"""Bad input gets a 4xx problem details response with a useful message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from tests.support.client import Client
from tests.support.world import World

# Every request here is refused, so the module shares one app and one network (tests/conftest.py) instead
# of building a world per test: ``client`` and ``world`` below are the module's.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(module_client: Client) -> Client:
    return module_client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(module_world: World) -> World:
    return module_world


def _problem(response: Any, status: int, *needles: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    for needle in needles:
        assert needle in body["detail"] + str(body.get("errors", "")), (needle, body)
    assert "Traceback" not in response.text
    return body


async def test_malformed_json(client: Client, world: World) -> None:
    response = await client.post(
        "/api/v1/groups",
        content=b'{"key": "a", ',
        headers={**world.auth("staff"), "content-type": "application/json"},
    )
    _problem(response, 400, "JSON")


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"key": 5, "name": "x"}, "Expected `str`"),
        ({"key": "ok"}, "name"),
        ({"key": "ok", "name": "x", "extra": 1}, "extra"),
        ({"key": "a" * 5000, "name": "x"}, "key"),
        ({"key": "Not Valid!", "name": "x"}, "key"),
        ([1, 2], "Expected `object`"),
    ],
)
async def test_wrong_types_unknown_fields_huge_strings(
    client: Client,
    world: World,
    body: Any,
    needle: str,
) -> None:
    _problem(await client.post("/api/v1/groups", json=body, headers=world.auth("staff")), 400, needle)


@pytest.mark.parametrize(
    "url,needle",
    [
        ("javascript:alert(1)", "http"),
        ("ftp://files.example/x", "http"),
        ("https://", "host"),
        ("https://exa mple.com/x", "spaces"),
        ("https://shop.example:99999/x", "Port"),
        ("not a url", "spaces"),
        ("https://shop.example/\r\nSet-Cookie: a=1", "control"),
    ],
)
async def test_invalid_urls(client: Client, world: World, url: str, needle: str) -> None:
    body = {
        "name": "x",
        "goals": [{"key": "a", "name": "a"}],
        "landings": [{"name": "l", "url_template": url}],
    }
    response = await client.post("/api/v1/offers", json=body, headers=world.auth("advertiser"))
    _problem(response, 422, needle)


async def test_invalid_deep_link_host_and_trafficback(client: Client, world: World) -> None:
    offer = f"/api/v1/offers/{world.offers['draft']}"
    headers = world.auth("advertiser")
    bad_host = {
        "landings": [
            {"name": "l", "url_template": "https://a.example/", "deep_link_hosts": ["-bad-.example"]}
        ]
    }
    _problem(await client.patch(offer, json=bad_host, headers=headers), 422, "host")
    _problem(
        await client.patch(offer, json={"trafficback_url": "data:text/html,hi"}, headers=headers), 422, "http"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/offers/999999999",
        "/api/v1/users/999999999",
        "/api/v1/advertisers/999999999",
        "/api/v1/webmasters/999999999",
        "/api/v1/groups/999999999",
    ],
)
async def test_unknown_ids(client: Client, world: World, path: str) -> None:
    _problem(await client.get(path, headers=world.auth("network_admin")), 404, "not found")


async def test_unknown_route_and_method(client: Client, world: World) -> None:
    _problem(await client.get("/api/v1/nothing-here", headers=world.auth("staff")), 404)
    _problem(await client.put("/api/v1/offers", headers=world.auth("staff")), 405)
    _problem(await client.get("/api/v1/offers/abc", headers=world.auth("staff")), 404)


async def test_body_too_large(client: Client, world: World) -> None:
    huge = b'{"key": "a", "name": "' + b"x" * 2_000_000 + b'"}'
    response = await client.post(
        "/api/v1/groups", content=huge, headers={**world.auth("staff"), "content-type": "application/json"}
    )
    _problem(response, 413)


async def test_bad_query_parameters(client: Client, world: World) -> None:
    headers = world.auth("staff")
    _problem(await client.get("/api/v1/offers", params={"limit": "0"}, headers=headers), 400, "limit")
    _problem(await client.get("/api/v1/offers", params={"limit": "abc"}, headers=headers), 400, "limit")
    _problem(await client.get("/api/v1/offers", params={"status": "bogus"}, headers=headers), 400, "status")
    _problem(await client.get("/api/v1/audit", params={"since": "yesterday"}, headers=headers), 400, "since")


async def test_domain_rules_explain_themselves(client: Client, world: World) -> None:
    staff = world.auth("staff")
    ban = await client.post(
        f"/api/v1/webmasters/{world.webmaster_id}/status", json={"status": "banned"}, headers=staff
    )
    _problem(ban, 422, "reason")
    transition = await client.post(
        f"/api/v1/offers/{world.offers['draft']}/transitions", json={"to": "active"}, headers=staff
    )
    _problem(transition, 409, "draft", "active")
    caps = await client.patch(
        f"/api/v1/offers/{world.offers['draft']}",
        headers=staff,
        json={"caps": [{"period": "daily", "metric": "clicks", "limit": "1.5"}]},
    )
    _problem(caps, 422, "whole")
    tz = await client.patch(
        "/api/v1/network", json={"timezone": "Mars/Olympus"}, headers=world.auth("network_admin")
    )
    _problem(tz, 422, "time zone")
