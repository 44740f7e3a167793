"""API keys: hashed at rest, shown once, revocable, audited, rate limited."""

from __future__ import annotations

from network.accounts.tables import ApiKey
from network.audit.tables import AuditEntry
from tests.support.client import Client
from tests.support.world import World


async def test_database_holds_no_plaintext_key(client: Client, world: World) -> None:
    created = await client.post("/api/v1/api-keys", json={"name": "ci"}, headers=world.auth("webmaster"))
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("cpn_")
    secret_part = secret.split("_", 2)[2]
    rows = await ApiKey.select().where(ApiKey.network == world.network_id)
    dump = repr(rows)
    assert secret not in dump and secret_part not in dump
    for row in rows:
        assert len(row["secret_hash"]) == 64
    # Listing never shows a secret again.
    listed = await client.get("/api/v1/api-keys", headers=world.auth("webmaster"))
    assert secret_part not in listed.text and "secret" not in listed.json()[0]
    # And the key works.
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["role"] == "webmaster"


async def test_revoked_key_gets_401_and_both_events_are_audited(client: Client, world: World) -> None:
    created = (
        await client.post("/api/v1/api-keys", json={"name": "tmp"}, headers=world.auth("advertiser"))
    ).json()
    key_id, secret = created["key"]["id"], created["secret"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    revoked = await client.delete(f"/api/v1/api-keys/{key_id}", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    denied = await client.get("/api/v1/me", headers=headers)
    assert denied.status_code == 401
    assert denied.headers["content-type"].startswith("application/problem+json")
    assert "revoked" in denied.json()["detail"]
    actions = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.network == world.network_id)
        & (AuditEntry.entity == "api_key")
        & (AuditEntry.entity_id == str(key_id))
    )
    assert {a["action"] for a in actions} == {"api_key.created", "api_key.revoked"}


async def test_x_api_key_header_and_bad_keys(client: Client, world: World) -> None:
    ok = await client.get("/api/v1/me", headers={"X-API-Key": world.keys["staff"]})
    assert ok.status_code == 200
    tampered = world.keys["staff"][:-2] + ("AA" if not world.keys["staff"].endswith("AA") else "BB")
    for bad in ("nope", "cpn_short_x", tampered):
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad


async def test_an_admin_revoking_someone_elses_key_gives_a_reason_the_owner_reads(
    client: Client, world: World
) -> None:
    key_id = world.spare_key_ids["webmaster"]
    admin = world.auth("network_admin")
    refused = await client.delete(f"/api/v1/api-keys/{key_id}", headers=admin)
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    done = await client.delete(
        f"/api/v1/api-keys/{key_id}", params={"reason": "seen in a paste"}, headers=admin
    )
    assert done.status_code == 200 and done.json()["revoked_reason"] == "seen in a paste"
    mine = await client.get("/api/v1/api-keys", headers=world.auth("webmaster"))
    [key] = [k for k in mine.json() if k["id"] == key_id]
    assert key["revoked_at"] and key["revoked_reason"] == "seen in a paste"
    [row] = await AuditEntry.select(AuditEntry.reason).where(
        (AuditEntry.entity == "api_key")
        & (AuditEntry.entity_id == str(key_id))
        & (AuditEntry.action == "api_key.revoked")
    )
    assert row["reason"] == "seen in a paste"


async def test_webmaster_cannot_revoke_someone_elses_key(client: Client, world: World) -> None:
    response = await client.delete(
        f"/api/v1/api-keys/{world.key_ids['staff']}", headers=world.auth("webmaster")
    )
    assert response.status_code == 404
    assert (await client.get("/api/v1/me", headers=world.auth("staff"))).status_code == 200


async def test_per_key_rate_limit(client: Client, world: World) -> None:
    created = await client.post(
        "/api/v1/api-keys", json={"name": "slow", "rate_limit_per_minute": 3}, headers=world.auth("webmaster")
    )
    headers = {"Authorization": f"Bearer {created.json()['secret']}"}
    codes = [(await client.get("/api/v1/me", headers=headers)).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]
    limited = await client.get("/api/v1/me", headers=headers)
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"].startswith("application/problem+json")
    # Other keys are unaffected.
    assert (await client.get("/api/v1/me", headers=world.auth("webmaster"))).status_code == 200


async def test_admin_lists_every_key_and_others_cannot(client: Client, world: World) -> None:
    everyone = await client.get(
        "/api/v1/api-keys", params={"everyone": "true"}, headers=world.auth("network_admin")
    )
    assert len(everyone.json()) >= 8
    denied = await client.get("/api/v1/api-keys", params={"everyone": "true"}, headers=world.auth("staff"))
    assert denied.status_code == 403
