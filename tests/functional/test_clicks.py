"""The click endpoint in embedded mode: dialects, redirects, fraud flags, storage, snapshot freshness."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from network.tracking.tables import Click
from tests.support.client import Client
from tests.support.world import World

CHROME = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
)


async def _ready(client: Client) -> None:
    await client.app.state.click_registry.refresh()


async def _stored(client: Client, click_id: str) -> dict[str, Any]:
    await client.app.state.click_forwarder.drain()
    row: dict[str, Any] | None = await Click.select().where(Click.click_id == click_id).first()
    assert row is not None, click_id
    return row


async def _follow(client: Client, world: World, url: str, **headers: str) -> Any:
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    base = {"host": parts.netloc, "user-agent": CHROME, "x-country": "US", "x-forwarded-for": "81.2.69.160"}
    return await client.get(path, headers={**base, **headers}, follow_redirects=False)


async def test_every_dialect_lands_on_the_right_offer_webmaster_and_subs(
    client: Client, world: World
) -> None:
    body = {f"sub{i}": f"v{i}" for i in range(1, 11)} | {"landing_id": world.landing_id, "source": "fb"}
    links = (
        await client.post(
            f"/api/v1/offers/{world.offers['public']}/links", json=body, headers=world.auth("webmaster")
        )
    ).json()
    await _ready(client)
    carried = {"cpanet": 10, "tune": 5, "affise": 8, "cake": 5}
    for n, (dialect, count) in enumerate(carried.items()):
        # One visitor per dialect: the same IP and user agent again would be a duplicate click.
        response = await _follow(
            client, world, links[dialect]["url"], **{"x-forwarded-for": f"81.2.69.{n + 10}"}
        )
        assert response.status_code == 302, (dialect, response.text)
        click_id = response.headers["x-click-id"]
        landing = urlsplit(response.headers["location"])
        assert landing.netloc == f"shop-{world.tag}.example"
        assert parse_qs(landing.query) == {"cid": [click_id], "s": ["v1"]}
        row = await _stored(client, click_id)
        assert (row["offer"], row["webmaster"], row["landing"], row["network"]) == (
            world.offers["public"],
            world.webmaster_id,
            world.landing_id,
            world.network_id,
        ), dialect
        subs = [row[f"sub{i}"] for i in range(1, 11)]
        assert subs == [f"v{i}" for i in range(1, count + 1)] + [""] * (10 - count), dialect
        assert row["terms_version"] == world.terms["current"] and row["valid"] and row["reason"] == "ok"
        assert row["device"] == "mobile" and row["os"] == "ios"


async def test_no_open_redirect(client: Client, world: World) -> None:
    await _ready(client)
    base = f"https://t-{world.tag}.example/c/{world.offers['public']}?wm={world.webmaster_id}"
    for target in (
        "https://evil.example/phish",
        "javascript:alert(1)",
        "//evil.example",
        "https://shop-x.example.evil",
    ):
        response = await _follow(
            client, world, base + "&url=" + target.replace(":", "%3A").replace("/", "%2F")
        )
        assert response.status_code == 302
        assert urlsplit(response.headers["location"]).netloc == f"shop-{world.tag}.example", target
    allowed = await _follow(
        client, world, base + f"&url=https%3A%2F%2Fshop-{world.tag}.example%2Fdeep%3Fp%3D1"
    )
    assert allowed.headers["location"].startswith(f"https://shop-{world.tag}.example/deep")


async def test_invalid_clicks_are_redirected_but_not_billable(client: Client, world: World) -> None:
    await _ready(client)
    url = f"https://t-{world.tag}.example/c/{world.offers['public']}?wm={world.webmaster_id}"
    bot = await _follow(
        client,
        world,
        url,
        **{
            "user-agent": "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X) Mobile Safari/537.36 "
            "(compatible; Googlebot/2.1)"
        },
    )
    assert bot.status_code == 302 and urlsplit(bot.headers["location"]).netloc == f"shop-{world.tag}.example"
    row = await _stored(client, bot.headers["x-click-id"])
    assert row["valid"] is False and row["fraud_flags"] != 0 and row["fraud_score"] > 0
    duplicate = await _follow(client, world, url)
    again = await _follow(client, world, url)
    assert (await _stored(client, duplicate.headers["x-click-id"]))["valid"] is True
    assert (await _stored(client, again.headers["x-click-id"]))["valid"] is False


async def test_trafficback_reasons_and_unknown_hosts(client: Client, world: World) -> None:
    await _ready(client)
    host = f"t-{world.tag}.example"
    no_access = await _follow(
        client, world, f"https://{host}/c/{world.offers['approval_required']}?wm={world.other_webmaster_id}"
    )
    assert no_access.status_code == 302 and no_access.headers["location"] == "https://tb.example/x"
    assert (await _stored(client, no_access.headers["x-click-id"]))["reason"] == "no_access"
    broken = await _follow(client, world, f"https://{host}/c/{world.offers['public']}")
    assert broken.status_code == 404 and broken.headers["content-type"] == "application/problem+json"
    unknown = await _follow(client, world, f"https://nobody.example/c/{world.offers['public']}?wm=1")
    assert unknown.status_code == 404


async def test_visitor_cookie_is_set_and_kept(client: Client, world: World) -> None:
    await _ready(client)
    url = f"https://t-{world.tag}.example/c/{world.offers['public']}?wm={world.webmaster_id}&sub1=a"
    first = await _follow(client, world, url)
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("cpn_vid=") and "HttpOnly" in cookie and "Secure" in cookie
    visitor = cookie.split(";")[0].split("=")[1]
    second = await _follow(client, world, url + "b", cookie=f"cpn_vid={visitor}")
    assert (await _stored(client, second.headers["x-click-id"]))["visitor_id"] == visitor


async def test_a_snapshot_change_is_visible_within_one_second(client: Client, world: World) -> None:
    await _ready(client)
    url = f"https://t-{world.tag}.example/c/{world.offers['public']}?wm={world.webmaster_id}"
    assert (await _follow(client, world, url)).headers["location"].startswith(f"https://shop-{world.tag}")
    paused = await client.post(
        f"/api/v1/offers/{world.offers['public']}/transitions",
        json={"to": "paused", "reason": "budget"},
        headers=world.auth("staff"),
    )
    assert paused.status_code == 200
    started = time.monotonic()
    seen = None
    for attempt in range(40):
        response = await _follow(client, world, url + f"&sub2={attempt}")
        if response.headers["location"] == "https://tb.example/x":
            seen = time.monotonic() - started
            break
        await asyncio.sleep(0.05)
    assert seen is not None and seen < 1.0, seen
