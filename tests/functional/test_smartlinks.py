"""Smartlinks end to end: the API, the audit trail, and clicks through ``/s/{id}?wm=`` on the endpoint."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from network.tracking import repository as smartlink_rows
from network.tracking.tables import Click
from tests.support.client import Client
from tests.support.world import World

CHROME = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
)
NETWORK_TB = "https://net-tb.example/back"


async def _fresh(client: Client, world: World) -> None:
    """Return once the network's click node runs on a snapshot that includes its latest change (a refresh is
    safe beside the app's own poll)."""
    registry = client.app.state.click_registry
    await registry.refresh()
    assert await registry.node_for(f"t-{world.tag}.example") is not None


async def _follow(client: Client, url: str, ip: str, **headers: str) -> Any:
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    base = {"host": parts.netloc, "user-agent": CHROME, "x-country": "US", "x-forwarded-for": ip}
    return await client.get(path, headers={**base, **headers}, follow_redirects=False)


async def _stored(client: Client, click_ids: list[str]) -> dict[str, dict[str, Any]]:
    await client.app.state.click_forwarder.drain()
    rows = await Click.select().where(Click.click_id.is_in(click_ids))
    assert len(rows) == len(click_ids)
    return {str(r["click_id"]): r for r in rows}


async def _clicks(client: Client, url: str, count: int, first_ip: int) -> list[dict[str, Any]]:
    """``count`` visitors (distinct IPs, so none is a duplicate or a velocity burst) follow ``url``."""
    ids = []
    for n in range(count):
        response = await _follow(client, url, f"81.2.69.{first_ip + n}")
        assert response.status_code == 302, response.text
        ids.append(response.headers["x-click-id"])
        # Routed to a landing, with the click id in its macro.
        location = response.headers["location"]
        assert parse_qs(urlsplit(location).query).get("cid") == [ids[-1]], (n, location)
    stored = await _stored(client, ids)
    return [stored[i] for i in ids]


async def _with_network_trafficback(client: Client, world: World) -> None:
    response = await client.patch(
        "/api/v1/network", json={"trafficback_url": NETWORK_TB}, headers=world.auth("network_admin")
    )
    assert response.status_code == 200, response.text


async def _create(
    client: Client, world: World, role: str, offers: list[tuple[int, int]], **extra: Any
) -> Any:
    body = {"name": "Rotator", "offers": [{"offer_id": o, "weight": w} for o, w in offers], **extra}
    return await client.post("/api/v1/smartlinks", json=body, headers=world.auth(role))


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


async def test_clicks_rotate_by_weight_and_store_the_chosen_offer(client: Client, world: World) -> None:
    public, approval = world.offers["public"], world.offers["approval_required"]
    created = await _create(client, world, "webmaster", [(public, 2), (approval, 1)])
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["webmaster_id"] == world.webmaster_id and link["status"] == "active"
    assert [(o["offer_id"], o["weight"]) for o in link["offers"]] == [(public, 2), (approval, 1)]
    assert link["tracking_url"] == f"https://t-{world.tag}.example/s/{link['id']}?wm={world.webmaster_id}"
    await _fresh(client, world)
    rows = await _clicks(client, link["tracking_url"] + "&sub1=spring", 40, first_ip=100)
    landings = {
        offer_id: (await client.get(f"/api/v1/offers/{offer_id}", headers=world.auth("staff"))).json()[
            "landings"
        ][0]["id"]
        for offer_id in (public, approval)
    }
    for row in rows:
        assert row["offer"] in (public, approval) and row["landing"] == landings[row["offer"]]
        assert (row["network"], row["webmaster"], row["sub1"]) == (
            world.network_id,
            world.webmaster_id,
            "spring",
        )
        assert row["reason"] == "ok" and not row["is_trafficback"] and row["valid"]
    counts = Counter(row["offer"] for row in rows)
    # Weights 2:1 over 40 draws: about 27 and 13; the bound only has to rule out "always the same offer".
    assert counts[public] >= 5 and counts[approval] >= 5, counts
    assert counts[public] > counts[approval], counts


async def test_a_paused_offer_is_skipped_and_a_paused_smartlink_goes_to_trafficback(
    client: Client, world: World
) -> None:
    await _with_network_trafficback(client, world)
    public, approval = world.offers["public"], world.offers["approval_required"]
    link = (await _create(client, world, "webmaster", [(public, 1), (approval, 1)])).json()
    url = link["tracking_url"]
    await _fresh(client, world)
    assert {r["offer"] for r in await _clicks(client, url, 12, first_ip=10)} == {public, approval}

    paused = await client.post(
        f"/api/v1/offers/{approval}/transitions",
        json={"to": "paused", "reason": "budget"},
        headers=world.auth("staff"),
    )
    assert paused.status_code == 200, paused.text
    await _fresh(client, world)
    assert {r["offer"] for r in await _clicks(client, url, 10, first_ip=30)} == {public}

    off = await client.patch(
        f"/api/v1/smartlinks/{link['id']}", json={"status": "paused"}, headers=world.auth("webmaster")
    )
    assert off.status_code == 200 and off.json()["status"] == "paused", off.text
    await _fresh(client, world)
    response = await _follow(client, url, "81.2.69.50")
    assert response.status_code == 302 and response.headers["location"] == NETWORK_TB
    row = (await _stored(client, [response.headers["x-click-id"]]))[response.headers["x-click-id"]]
    assert (row["is_trafficback"], row["reason"], row["offer"]) == (True, "smartlink_unknown", None)
    assert row["webmaster"] == world.webmaster_id

    on = await client.patch(
        f"/api/v1/smartlinks/{link['id']}", json={"status": "active"}, headers=world.auth("webmaster")
    )
    assert on.status_code == 200, on.text
    await _fresh(client, world)
    assert {r["offer"] for r in await _clicks(client, url, 3, first_ip=60)} == {public}

    audit = await client.get(
        "/api/v1/audit",
        params={"entity": "smartlink", "entity_id": str(link["id"])},
        headers=world.auth("staff"),
    )
    actions = [(e["action"], e["after"]) for e in reversed(audit.json()["items"])]
    assert actions == [
        (
            "smartlink.created",
            {
                "name": "Rotator",
                "status": "active",
                "webmaster_id": world.webmaster_id,
                "offers": [[public, 1], [approval, 1]],
            },
        ),
        ("smartlink.updated", {"status": "paused"}),
        ("smartlink.updated", {"status": "active"}),
    ]


async def test_ineligible_offers_are_skipped_and_none_left_is_trafficback(
    client: Client, world: World
) -> None:
    await _with_network_trafficback(client, world)
    public, private = world.offers["public"], world.offers["private"]
    # The network's smartlink may list a private offer: the webmaster, only invited, has no access to it.
    made = await _create(client, world, "staff", [(private, 1000), (public, 1)])
    assert made.status_code == 201, made.text
    link = made.json()
    assert link["webmaster_id"] is None and link["tracking_url"] is None
    mine = await client.get(f"/api/v1/smartlinks/{link['id']}", headers=world.auth("webmaster"))
    # A webmaster sees only the offers the smartlink can send their traffic to.
    assert [o["offer_id"] for o in mine.json()["offers"]] == [public]
    url = mine.json()["tracking_url"]
    assert url == f"https://t-{world.tag}.example/s/{link['id']}?wm={world.webmaster_id}"
    await _fresh(client, world)
    assert {r["offer"] for r in await _clicks(client, url, 5, first_ip=10)} == {public}

    # Both offers target US and DE only: a French visitor has no eligible offer.
    response = await _follow(client, url, "81.2.69.90", **{"x-country": "FR"})
    assert response.status_code == 302 and response.headers["location"] == NETWORK_TB
    row = (await _stored(client, [response.headers["x-click-id"]]))[response.headers["x-click-id"]]
    assert (row["is_trafficback"], row["reason"], row["offer"]) == (True, "no_eligible_offer", None)


async def test_another_networks_smartlink_is_not_found_and_not_routed(
    client: Client, world: World, other_world: World
) -> None:
    for each in (world, other_world):
        await _with_network_trafficback(client, each)
    theirs = (await _create(client, other_world, "staff", [(other_world.offers["public"], 1)])).json()
    for role in ("webmaster", "staff", "network_admin"):
        got = await client.get(f"/api/v1/smartlinks/{theirs['id']}", headers=world.auth(role))
        assert other_world.tag not in _problem(got, 404)["detail"]
        edit = await client.patch(
            f"/api/v1/smartlinks/{theirs['id']}", json={"status": "paused"}, headers=world.auth(role)
        )
        _problem(edit, 404)
        listed = await client.get("/api/v1/smartlinks", params={"limit": 200}, headers=world.auth(role))
        assert theirs["id"] not in [s["id"] for s in listed.json()["items"]]
    await _fresh(client, world)
    # Their smartlink id on our tracking host: our network knows no such smartlink.
    ours = await _follow(
        client, f"https://t-{world.tag}.example/s/{theirs['id']}?wm={world.webmaster_id}", "81.2.69.20"
    )
    assert ours.status_code == 302 and ours.headers["location"] == NETWORK_TB
    # On their host, our webmaster has joined none of their offers: nothing of theirs is reached.
    on_theirs = await _follow(
        client, f"https://t-{other_world.tag}.example/s/{theirs['id']}?wm={world.webmaster_id}", "81.2.69.21"
    )
    assert on_theirs.status_code == 302 and on_theirs.headers["location"] == NETWORK_TB
    stored = await _stored(client, [ours.headers["x-click-id"], on_theirs.headers["x-click-id"]])
    assert stored[ours.headers["x-click-id"]]["reason"] == "smartlink_unknown"
    assert stored[on_theirs.headers["x-click-id"]]["reason"] == "no_eligible_offer"
    assert stored[on_theirs.headers["x-click-id"]]["offer"] is None


async def test_what_a_smartlink_may_list(client: Client, world: World, other_world: World) -> None:
    public, private, draft = world.offers["public"], world.offers["private"], world.offers["draft"]
    # Hidden from the webmaster (a draft) or from another network: "not found", naming nothing of theirs.
    _problem(await _create(client, world, "webmaster", [(public, 1), (draft, 1)]), 404)
    foreign = _problem(await _create(client, world, "webmaster", [(other_world.offers["public"], 1)]), 404)
    assert other_world.tag not in str(foreign)
    _problem(await _create(client, world, "staff", [(other_world.offers["public"], 1)]), 404)
    # Visible but not joined (an invitation only): join first, as for offer links.
    assert _problem(await _create(client, world, "webmaster", [(private, 1)]), 409)["field"] == (
        "offers[0].offer_id"
    )
    # Staff see drafts, but a draft takes no traffic.
    _problem(await _create(client, world, "staff", [(draft, 1)]), 422)
    _problem(await _create(client, world, "webmaster", [(public, 1), (public, 2)]), 422)
    for weights in ([(public, 0)], [(public, 1001)], []):
        _problem(await _create(client, world, "webmaster", weights), 400)
    _problem(await _create(client, world, "webmaster", [(public, 1)] * 51), 400)
    _problem(await _create(client, world, "webmaster", [(public, 1)], status="archived"), 400)
    _problem(await _create(client, world, "advertiser", [(public, 1)]), 403)

    mine = (await _create(client, world, "webmaster", [(public, 1)])).json()
    network = (await _create(client, world, "staff", [(public, 1)])).json()
    # Staff edit a webmaster's smartlink with the webmaster's eyes: still no offer they have not joined.
    _problem(
        await client.patch(
            f"/api/v1/smartlinks/{mine['id']}",
            json={"offers": [{"offer_id": private, "weight": 1}]},
            headers=world.auth("staff"),
        ),
        409,
    )
    _problem(
        await client.patch(
            f"/api/v1/smartlinks/{network['id']}", json={"name": "mine now"}, headers=world.auth("webmaster")
        ),
        403,
    )
    # Another webmaster's smartlink is theirs alone.
    theirs = await smartlink_rows.insert_smartlink(
        tenant_id=world.network_id, webmaster_id=world.other_webmaster_id, name="theirs", status="active"
    )
    _problem(await client.get(f"/api/v1/smartlinks/{theirs}", headers=world.auth("webmaster")), 404)
    listed = await client.get("/api/v1/smartlinks", params={"limit": 200}, headers=world.auth("webmaster"))
    assert {s["id"] for s in listed.json()["items"]} == {mine["id"], network["id"]}
    staff_list = await client.get("/api/v1/smartlinks", params={"limit": 200}, headers=world.auth("staff"))
    assert {mine["id"], network["id"], theirs} <= {s["id"] for s in staff_list.json()["items"]}
    staff_view = await client.get(f"/api/v1/smartlinks/{theirs}", headers=world.auth("staff"))
    assert staff_view.json()["tracking_url"].endswith(f"/s/{theirs}?wm={world.other_webmaster_id}")

    edited = await client.patch(
        f"/api/v1/smartlinks/{mine['id']}",
        json={"name": "Spring", "offers": [{"offer_id": world.offers["approval_required"], "weight": 7}]},
        headers=world.auth("webmaster"),
    )
    assert edited.status_code == 200, edited.text
    out = edited.json()
    assert out["name"] == "Spring" and [(o["offer_id"], o["weight"]) for o in out["offers"]] == [
        (world.offers["approval_required"], 7)
    ]
    assert out["offers"][0]["offer_status"] == "active"
    unchanged = await client.patch(
        f"/api/v1/smartlinks/{mine['id']}", json={}, headers=world.auth("webmaster")
    )
    assert unchanged.json()["updated_at"] == out["updated_at"]
