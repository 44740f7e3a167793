"""Offers: moderation lifecycle, catalogue visibility, access flows, tracking links and their audit trail."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from network.audit.tables import AuditEntry
from tests.support.client import Client
from tests.support.world import World, login_session


async def _audit(world: World, entity: str, entity_id: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = (
        await AuditEntry.select()
        .where(
            (AuditEntry.network == world.network_id)
            & (AuditEntry.entity == entity)
            & (AuditEntry.entity_id == entity_id)
        )
        .order_by(AuditEntry.id)
    )
    return rows


async def test_full_offer_is_stored_and_returned(client: Client, world: World) -> None:
    offer = (
        await client.get(f"/api/v1/offers/{world.offers['public']}", headers=world.auth("advertiser"))
    ).json()
    assert offer["targeting"]["countries"] == ["US", "DE"]
    assert offer["goals"][0]["key"] == "lead" and offer["goals"][0]["kind"] == "CPL"
    assert offer["landings"][0]["is_default"] is True
    assert offer["landings"][0]["deep_link_hosts"] == [f"shop-{world.tag}.example"]
    caps = {(c["period"], c["metric"]): c["limit"] for c in offer["caps"]}
    assert caps == {("daily", "clicks"): "100", ("monthly", "budget"): "2500.50"}
    assert offer["promo_materials"][0]["content"] == "hello"


async def test_moderation_lifecycle_with_reasons_and_audit(client: Client, world: World) -> None:
    adv, staff = world.auth("advertiser"), world.auth("staff")
    url = f"/api/v1/offers/{world.offers['draft']}/transitions"
    assert (await client.post(url, json={"to": "pending"}, headers=adv)).json()["status"] == "pending"
    rejected = await client.post(url, json={"to": "draft", "reason": "landing page is broken"}, headers=staff)
    assert (
        rejected.json()["status"] == "draft" and rejected.json()["status_reason"] == "landing page is broken"
    )
    await client.post(url, json={"to": "pending"}, headers=adv)
    assert (await client.post(url, json={"to": "active"}, headers=staff)).json()["status"] == "active"
    paused = await client.post(url, json={"to": "paused", "reason": "complaints"}, headers=staff)
    assert paused.json()["status"] == "paused"
    # The advertiser cannot lift a pause: resuming goes back through moderation.
    assert (await client.post(url, json={"to": "active"}, headers=adv)).status_code == 403
    assert (await client.post(url, json={"to": "pending"}, headers=adv)).json()["status"] == "pending"
    archived = await client.post(url, json={"to": "archived", "reason": "done"}, headers=staff)
    assert archived.json()["status"] == "archived"
    edit = await client.patch(f"/api/v1/offers/{world.offers['draft']}", json={"name": "x"}, headers=adv)
    assert edit.status_code == 409
    trail = await _audit(world, "offer", str(world.offers["draft"]))
    changes = [(r["before"], r["after"], r["reason"]) for r in trail if r["action"] == "offer.status_changed"]
    assert len(changes) == 7
    assert ('{"status":"pending"}', '{"status":"draft"}', "landing page is broken") in changes
    assert all(r["actor_user_id"] for r in trail)


async def test_update_is_audited_as_a_diff(client: Client, world: World) -> None:
    url = f"/api/v1/offers/{world.offers['public']}"
    caps = [{"period": "total", "metric": "conversions", "limit": "50", "scope": "per_webmaster"}]
    response = await client.patch(url, json={"category": "crypto", "caps": caps}, headers=world.auth("staff"))
    assert response.status_code == 200
    assert response.json()["caps"][0]["scope"] == "per_webmaster"
    row = (await _audit(world, "offer", str(world.offers["public"])))[-1]
    assert row["action"] == "offer.updated"
    assert '"category":"finance"' in str(row["before"]) and '"category":"crypto"' in str(row["after"])
    assert "name" not in str(row["after"])


async def test_webmaster_catalogue_respects_visibility(client: Client, world: World) -> None:
    wm = world.auth("webmaster")
    listed = (await client.get("/api/v1/offers", headers=wm, params={"limit": 200})).json()["items"]
    states = {o["id"]: o["my_access"] for o in listed}
    assert states[world.offers["public"]] == "approved"
    assert states[world.offers["private"]] == "invited"
    assert world.offers["draft"] not in states
    # A webmaster with no invitation does not see the private offer at all.
    other = await client.post("/api/v1/api-keys", json={"name": "k"}, headers=world.auth("webmaster"))
    assert other.status_code == 201
    staff = world.auth("staff")
    created = await client.post(
        "/api/v1/users",
        headers=staff,
        json={"email": f"n-{world.tag}@example.com", "password": "a-long-password", "role": "webmaster"},
    )
    assert created.status_code == 201
    session = await login_session(client, world.slug, f"n-{world.tag}@example.com", "a-long-password")
    listed = (await client.get("/api/v1/offers", params={"limit": 200}, headers=session)).json()["items"]
    ids = {o["id"] for o in listed}
    assert world.offers["public"] in ids and world.offers["private"] not in ids
    assert (await client.get(f"/api/v1/offers/{world.offers['private']}", headers=session)).status_code == 404
    assert (await client.get(f"/api/v1/offers/{world.offers['draft']}", headers=session)).status_code == 404
    search = (await client.get("/api/v1/offers", params={"q": "Approval_Required"}, headers=session)).json()
    assert [o["id"] for o in search["items"]] == [world.offers["approval_required"]]


async def test_access_flows(client: Client, world: World) -> None:
    adv, wm = world.auth("advertiser"), world.auth("webmaster")
    approval = world.offers["approval_required"]
    pending = (
        await client.get(f"/api/v1/offers/{approval}/access", params={"status": "requested"}, headers=adv)
    ).json()
    assert [a["webmaster_id"] for a in pending["items"]] == [world.other_webmaster_id]
    url = f"/api/v1/offers/{approval}/access/{world.other_webmaster_id}/decision"
    no_reason = await client.post(url, json={"decision": "decline"}, headers=adv)
    assert no_reason.status_code == 422
    declined = await client.post(url, json={"decision": "decline", "reason": "no adult traffic"}, headers=adv)
    assert declined.json()["status"] == "declined" and declined.json()["reason"] == "no adult traffic"
    # The private offer's invitation turns into access when the webmaster joins.
    joined = await client.post(f"/api/v1/offers/{world.offers['private']}/access", json={}, headers=wm)
    assert joined.json()["status"] == "approved"
    again = await client.post(f"/api/v1/offers/{world.offers['private']}/access", json={}, headers=wm)
    assert again.status_code == 409
    revoke_url = f"/api/v1/offers/{world.offers['public']}/access/{world.webmaster_id}/revoke"
    revoked = await client.post(revoke_url, json={"reason": "fraud"}, headers=world.auth("staff"))
    assert revoked.json()["status"] == "revoked"
    mine = {
        a["offer_id"]: (a["status"], a["reason"])
        for a in (await client.get("/api/v1/my/offer-access", headers=wm)).json()
    }
    assert mine[world.offers["public"]] == ("revoked", "fraud")
    assert mine[world.offers["private"]][0] == "approved"
    rejoin = await client.post(f"/api/v1/offers/{world.offers['public']}/access", json={}, headers=wm)
    assert rejoin.status_code == 409 and "revoked" in rejoin.json()["detail"]
    links = await client.post(f"/api/v1/offers/{world.offers['public']}/links", json={}, headers=wm)
    assert links.status_code == 409
    trail = await _audit(world, "offer_access", f"{world.offers['public']}:{world.webmaster_id}")
    assert [r["action"] for r in trail] == ["offer_access.approved", "offer_access.revoked"]


async def test_pending_webmaster_cannot_join(client: Client, world: World) -> None:
    signup = await client.post(
        "/api/v1/signup/webmaster",
        json={
            "network": world.slug,
            "email": f"p-{world.tag}@example.com",
            "password": "a-long-password",
            "name": "P",
        },
    )
    assert signup.status_code == 201
    session = await login_session(client, world.slug, f"p-{world.tag}@example.com", "a-long-password")
    response = await client.post(f"/api/v1/offers/{world.offers['public']}/access", json={}, headers=session)
    assert response.status_code == 403 and "awaiting approval" in response.json()["detail"]


async def test_tracking_links_in_every_dialect(client: Client, world: World) -> None:
    body = {f"sub{i}": f"v{i}" for i in range(1, 11)} | {"source": "fb", "landing_id": world.landing_id}
    body["sub1"] = "a&payout=9999&x=%0d%0aSet-Cookie:1"
    response = await client.post(
        f"/api/v1/offers/{world.offers['public']}/links", json=body, headers=world.auth("webmaster")
    )
    assert response.status_code == 200, response.text
    links = response.json()
    offer, wm = str(world.offers["public"]), str(world.webmaster_id)
    own = urlsplit(links["cpanet"]["url"])
    assert own.scheme == "https" and own.netloc == f"t-{world.tag}.example" and own.path == f"/c/{offer}"
    q = parse_qs(own.query)
    assert q["wm"] == [wm] and q["sub1"] == [body["sub1"]] and q["sub10"] == ["v10"] and "payout" not in q
    assert links["cpanet"]["dropped"] == []
    tune = parse_qs(urlsplit(links["tune"]["url"]).query)
    assert tune["offer_id"] == [offer] and tune["aff_id"] == [wm] and tune["aff_sub"] == [body["sub1"]]
    assert tune["aff_sub5"] == ["v5"] and tune["source"] == ["fb"]
    assert links["tune"]["dropped"] == [f"sub{i}" for i in range(6, 11)]
    affise = parse_qs(urlsplit(links["affise"]["url"]).query)
    assert affise["pid"] == [wm] and affise["sub8"] == ["v8"] and "sub9" not in affise
    cake = urlsplit(links["cake"]["url"])
    cq = parse_qs(cake.query)
    assert cake.path == "/" and cq["a"] == [wm] and cq["c"] == [str(world.landing_id)] and cq["s5"] == ["v5"]
    bad_landing = await client.post(
        f"/api/v1/offers/{world.offers['public']}/links",
        json={"landing_id": 99999999},
        headers=world.auth("webmaster"),
    )
    assert bad_landing.status_code == 404


async def test_audit_log_api_filters(client: Client, world: World) -> None:
    staff = world.auth("staff")
    page = (await client.get("/api/v1/audit", params={"entity": "offer", "limit": 3}, headers=staff)).json()
    assert page["total"] >= 4 and len(page["items"]) == 3
    assert all(item["entity"] == "offer" for item in page["items"])
    ids = [item["id"] for item in page["items"]]
    assert ids == sorted(ids, reverse=True)
    created = (await client.get("/api/v1/audit", params={"action": "offer.created"}, headers=staff)).json()
    assert created["total"] == 4
