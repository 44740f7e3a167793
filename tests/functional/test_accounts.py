"""Accounts: sign-up with referral, moderation, sessions with CSRF, groups."""

from __future__ import annotations

from network.accounts.tables import User
from tests.support.client import Client
from tests.support.world import World


async def test_signup_records_referrer_and_waits_for_approval(client: Client, world: World) -> None:
    me = (await client.get("/api/v1/me", headers=world.auth("webmaster"))).json()
    code = me["referral_code"]
    signup = await client.post(
        "/api/v1/signup/webmaster",
        json={
            "network": world.slug,
            "email": f"ref-{world.tag}@example.com",
            "password": "a-long-password",
            "name": "Referred",
            "referral_code": code,
            "traffic_sources": ["seo"],
        },
    )
    assert signup.status_code == 201
    new = signup.json()
    assert new["status"] == "pending" and new["referred_by"] == world.webmaster_id
    referrals = (
        await client.get(
            f"/api/v1/webmasters/{world.webmaster_id}/referrals", headers=world.auth("webmaster")
        )
    ).json()
    assert [r["id"] for r in referrals["items"]] == [new["webmaster_id"]]
    pending = (
        await client.get("/api/v1/webmasters", params={"status": "pending"}, headers=world.auth("staff"))
    ).json()
    assert new["webmaster_id"] in [w["id"] for w in pending["items"]]
    approved = await client.post(
        f"/api/v1/webmasters/{new['webmaster_id']}/status",
        json={"status": "active", "reason": "checked"},
        headers=world.auth("staff"),
    )
    assert approved.json()["status"] == "active"
    bad = await client.post(
        "/api/v1/signup/webmaster",
        json={
            "network": world.slug,
            "email": f"r2-{world.tag}@example.com",
            "password": "a-long-password",
            "name": "R",
            "referral_code": "nope",
        },
    )
    assert bad.status_code == 422
    dup = await client.post(
        "/api/v1/signup/webmaster",
        json={
            "network": world.slug,
            "email": f"REF-{world.tag}@example.com",
            "password": "a-long-password",
            "name": "R",
        },
    )
    assert dup.status_code == 409


async def test_passwords_are_hashed_with_argon2(client: Client, world: World) -> None:
    rows = await User.select(User.password_hash).where(User.network == world.network_id)
    assert rows and all(r["password_hash"].startswith("$argon2id$") for r in rows)
    assert all("correct-horse-battery" not in r["password_hash"] for r in rows)


async def test_session_login_csrf_and_logout(client: Client, world: World) -> None:
    wrong = await client.post(
        "/api/v1/auth/login",
        json={"network": world.slug, "email": f"adv-{world.tag}@example.com", "password": "wrong-password"},
    )
    assert wrong.status_code == 401 and "cpanet_session" not in wrong.cookies
    login = await client.post(
        "/api/v1/auth/login",
        json={
            "network": world.slug,
            "email": f"adv-{world.tag}@example.com",
            "password": "correct-horse-battery",
        },
    )
    assert login.status_code == 200
    cookie = login.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" in cookie.lower()
    csrf = login.json()["csrf_token"]
    session = {"Cookie": f"cpanet_session={login.cookies['cpanet_session']}"}
    assert (await client.get("/api/v1/me", headers=session)).json()["role"] == "advertiser"
    url = f"/api/v1/offers/{world.offers['draft']}"
    no_token = await client.patch(url, json={"category": "x"}, headers=session)
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["detail"]
    bad_token = await client.patch(url, json={"category": "x"}, headers={**session, "X-CSRF-Token": "forged"})
    assert bad_token.status_code == 403
    ok = await client.patch(url, json={"category": "x"}, headers={**session, "X-CSRF-Token": csrf})
    assert ok.status_code == 200
    out = await client.post("/api/v1/auth/logout", headers={**session, "X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert (await client.get("/api/v1/me", headers=session)).status_code == 401


async def test_banned_webmaster_is_locked_out_with_the_reason(client: Client, world: World) -> None:
    ban = await client.post(
        f"/api/v1/webmasters/{world.webmaster_id}/status",
        json={"status": "banned", "reason": "bot traffic"},
        headers=world.auth("staff"),
    )
    assert ban.json()["status"] == "banned"
    denied = await client.get("/api/v1/me", headers=world.auth("webmaster"))
    assert denied.status_code == 403 and "bot traffic" in denied.json()["detail"]
    invalid = await client.post(
        f"/api/v1/webmasters/{world.webmaster_id}/status",
        json={"status": "pending"},
        headers=world.auth("staff"),
    )
    assert invalid.status_code == 409
    await client.post(
        f"/api/v1/webmasters/{world.webmaster_id}/status",
        json={"status": "active", "reason": "ok"},
        headers=world.auth("staff"),
    )
    assert (await client.get("/api/v1/me", headers=world.auth("webmaster"))).status_code == 200


async def test_groups_and_membership(client: Client, world: World) -> None:
    staff = world.auth("staff")
    dup = await client.post("/api/v1/groups", json={"key": "vip", "name": "again"}, headers=staff)
    assert dup.status_code == 409
    added = await client.put(f"/api/v1/groups/{world.group_id}/members/{world.webmaster_id}", headers=staff)
    assert added.json()["members"] == [world.webmaster_id]
    me = (await client.get("/api/v1/me", headers=world.auth("webmaster"))).json()
    assert me["groups"] == ["vip"]
    removed = await client.delete(
        f"/api/v1/groups/{world.group_id}/members/{world.webmaster_id}", headers=staff
    )
    assert removed.json()["members"] == []


async def test_network_settings_by_admin(client: Client, world: World, other_world: World) -> None:
    admin = world.auth("network_admin")
    ok = await client.patch(
        "/api/v1/network", json={"timezone": "Europe/Moscow", "name": "Renamed"}, headers=admin
    )
    assert ok.json()["timezone"] == "Europe/Moscow"
    clash = await client.patch(
        "/api/v1/network", json={"tracking_host": f"t-{other_world.tag}.example"}, headers=admin
    )
    assert clash.status_code == 409
