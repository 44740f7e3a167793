"""Password reset through the API: the link goes out through a real SMTP server (aiosmtpd on 127.0.0.1),
works once, expires, is replaced by a newer one, revokes the user's sessions (API keys stay), and asking
for one answers the same for every e-mail, within its rate limits. No mocks.

One app, one network and one SMTP server per module (a world costs seconds); each test makes its own user
and uses its own client address, so the tests do not meet.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import pytest_asyncio

from network.accounts.authn import authenticate_session
from network.accounts.password_reset import MAIL_TEXT
from network.accounts.security import sha256_hex
from network.accounts.tables import ApiKey, PasswordReset
from network.errors import AuthenticationError
from tests.support.client import Client
from tests.support.mail import SMTP_USER, Inbox, body, token_in
from tests.support.resets import (
    MAIL_FROM,
    PASSWORD,
    audit_rows,
    client_ip,
    expire,
    new_user,
    user_id,
)
from tests.support.world import World, build_world

pytestmark = pytest.mark.asyncio(loop_scope="module")

REQUEST, CONFIRM = "/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "a-brand-new-password"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(mail_client: Client) -> World:
    return await build_world(mail_client)


async def _ask(client: Client, world: World, email: str, **headers: str) -> Any:
    return await client.post(
        REQUEST, json={"network": world.slug, "email": email}, headers=headers or client_ip()
    )


async def _login(client: Client, world: World, email: str, password: str) -> Any:
    return await client.post(
        "/api/v1/auth/login", json={"network": world.slug, "email": email, "password": password}
    )


async def _link(client: Client, world: World, inbox: Inbox, email: str) -> str:
    """Ask for a link and read its token from the e-mail that arrives."""
    before = len(inbox.to(email))
    assert (await _ask(client, world, email)).status_code == 202
    return token_in((await inbox.wait_for(email, before + 1))[-1])


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["type"].startswith("https://")
    return problem


async def test_reset_by_email_from_request_to_new_password(
    mail_client: Client, net: World, inbox: Inbox
) -> None:
    email = await new_user(mail_client, net)
    uid = await user_id(net, email)
    session = await _login(mail_client, net, email, PASSWORD)
    assert session.status_code == 200
    session_token = session.cookies["cpanet_session"]
    key = await mail_client.post(
        "/api/v1/api-keys",
        json={"name": "tracker"},
        headers={
            "Cookie": f"cpanet_session={session_token}",
            "X-CSRF-Token": session.json()["csrf_token"],
        },
    )
    assert key.status_code == 201
    api_key = key.json()["secret"]

    answer = await _ask(mail_client, net, email.upper())  # e-mails are matched as sign-up stores them
    assert answer.status_code == 202
    assert answer.json()["status"] == "accepted"
    message = (await inbox.wait_for(email))[0]
    # The server required a login: the sender logged in with the URL's (percent-decoded) credentials.
    assert SMTP_USER in inbox.logins
    assert message["From"] == MAIL_FROM and message["Subject"].startswith("Reset your password on")
    token = token_in(message)
    assert f"https://track.example/ui/reset/{token}" in body(message) and len(token) >= 43
    # Only a hash of the token is kept.
    row = await PasswordReset.select().where(PasswordReset.user == uid).first()
    assert row is not None and row["token_hash"] == sha256_hex(token)
    assert token not in json.dumps(row, default=str)

    done = await mail_client.post(
        CONFIRM, json={"token": token, "password": NEW_PASSWORD}, headers=client_ip()
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"network": net.slug, "email": email, "sessions_revoked": 1}
    # The old password fails, the new one works, the open session is gone; the API key still works.
    _problem(await _login(mail_client, net, email, PASSWORD), 401)
    assert (await _login(mail_client, net, email, NEW_PASSWORD)).status_code == 200
    me = await mail_client.get("/api/v1/me", headers={"Cookie": f"cpanet_session={session_token}"})
    _problem(me, 401)
    with pytest.raises(AuthenticationError, match="session expired"):
        await authenticate_session(session_token)
    assert (
        await mail_client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_key}"})
    ).status_code == 200
    assert await ApiKey.count().where((ApiKey.user == uid) & ApiKey.revoked_at.is_null()) == 1
    # The request and the reset are in the audit log, the user as the actor, no secret in them.
    rows = await audit_rows(net, uid)
    assert [r["action"] for r in rows] == ["password_reset.requested", "password_reset.completed"]
    for audit in rows:
        assert (audit["actor_user_id"], audit["actor_role"]) == (str(uid), "webmaster")
        dumped = json.dumps(audit, default=str)
        assert token not in dumped and sha256_hex(token) not in dumped and NEW_PASSWORD not in dumped
    assert json.loads(rows[1]["after"])["sessions_revoked"] == 1


async def test_the_answer_is_the_same_for_unknown_accounts(
    mail_client: Client, net: World, inbox: Inbox
) -> None:
    email = await new_user(mail_client, net)
    known = await _ask(mail_client, net, email)
    unknown = await _ask(mail_client, net, f"nobody-{net.tag}@example.com")
    no_network = await mail_client.post(
        REQUEST, json={"network": "no-such-network", "email": email}, headers=client_ip()
    )
    assert known.status_code == unknown.status_code == no_network.status_code == 202
    assert known.json() == unknown.json() == no_network.json()
    assert known.headers.get("content-length") == unknown.headers.get("content-length")
    await inbox.wait_for(email)
    assert inbox.to(f"nobody-{net.tag}@example.com") == [] and len(inbox.to(email)) == 1


async def test_a_link_works_once(mail_client: Client, net: World, inbox: Inbox) -> None:
    email = await new_user(mail_client, net)
    token = await _link(mail_client, net, inbox, email)
    first = await mail_client.post(
        CONFIRM, json={"token": token, "password": NEW_PASSWORD}, headers=client_ip()
    )
    assert first.status_code == 200
    again = await mail_client.post(
        CONFIRM, json={"token": token, "password": "yet-another-password"}, headers=client_ip()
    )
    problem = _problem(again, 410)
    assert problem["reason"] == "used" and problem["type"].endswith("/reset-link-invalid")
    assert (await _login(mail_client, net, email, NEW_PASSWORD)).status_code == 200


async def test_a_link_expires(mail_client: Client, net: World, inbox: Inbox) -> None:
    email = await new_user(mail_client, net)
    token = await _link(mail_client, net, inbox, email)
    await expire(token)
    late = await mail_client.post(
        CONFIRM, json={"token": token, "password": NEW_PASSWORD}, headers=client_ip()
    )
    assert _problem(late, 410)["reason"] == "expired"
    assert (await _login(mail_client, net, email, PASSWORD)).status_code == 200


async def test_a_new_link_replaces_the_earlier_one(mail_client: Client, net: World, inbox: Inbox) -> None:
    email = await new_user(mail_client, net)
    first = await _link(mail_client, net, inbox, email)
    second = await _link(mail_client, net, inbox, email)
    assert first != second
    old = await mail_client.post(
        CONFIRM, json={"token": first, "password": NEW_PASSWORD}, headers=client_ip()
    )
    assert _problem(old, 410)["reason"] == "invalid"
    new = await mail_client.post(
        CONFIRM, json={"token": second, "password": NEW_PASSWORD}, headers=client_ip()
    )
    assert new.status_code == 200


async def test_unknown_tokens_and_short_passwords_are_refused(
    mail_client: Client, net: World, inbox: Inbox
) -> None:
    unknown = await mail_client.post(
        CONFIRM, json={"token": "x" * 43, "password": NEW_PASSWORD}, headers=client_ip()
    )
    assert _problem(unknown, 410)["reason"] == "invalid"
    email = await new_user(mail_client, net)
    token = await _link(mail_client, net, inbox, email)
    # The sign-up policy: at least 10 characters; the link stays usable after a refused password.
    _problem(
        await mail_client.post(CONFIRM, json={"token": token, "password": "short"}, headers=client_ip()), 400
    )
    extra = await mail_client.post(
        CONFIRM, json={"token": token, "password": NEW_PASSWORD, "user_id": 1}, headers=client_ip()
    )
    _problem(extra, 400)
    ok = await mail_client.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD}, headers=client_ip())
    assert ok.status_code == 200


async def test_requests_are_rate_limited_per_email_and_per_address(
    mail_client: Client, net: World, inbox: Inbox
) -> None:
    # Per e-mail, counted alike for an account that does not exist (a 429 tells nothing about the account).
    for email in (await new_user(mail_client, net), f"ghost-{net.tag}@example.com"):
        statuses = [(await _ask(mail_client, net, email)).status_code for _ in range(6)]
        assert statuses == [202] * 5 + [429], email
    limited = await _ask(mail_client, net, email)
    _problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1
    # Per client address, whatever the e-mails.
    address = client_ip()
    statuses = [
        (await _ask(mail_client, net, f"ip-{i}-{net.tag}@example.com", **address)).status_code
        for i in range(21)
    ]
    assert statuses == [202] * 20 + [429]


async def test_without_mail_a_request_is_only_recorded(module_client: Client, net: World) -> None:
    """The conftest app has no SMTP: asking answers the same, makes no link (which would replace one that
    staff handed out) and leaves an audit row for staff to see."""
    email = await new_user(module_client, net)
    uid = await user_id(net, email)
    answer = await module_client.post(
        REQUEST, json={"network": net.slug, "email": email}, headers=client_ip()
    )
    assert answer.status_code == 202
    assert await PasswordReset.count().where(PasswordReset.user == uid) == 0
    rows = await audit_rows(net, uid)
    assert [r["action"] for r in rows] == ["password_reset.requested"]
    assert json.loads(rows[0]["after"])["delivery"] == "none_mail_not_configured"


async def test_the_email_is_in_the_users_language(mail_client: Client, net: World, inbox: Inbox) -> None:
    email = await new_user(mail_client, net, locale="ru")
    assert (await _ask(mail_client, net, email)).status_code == 202
    message = (await inbox.wait_for(email))[0]
    russian = MAIL_TEXT["ru"]
    assert message["Subject"] == russian["subject"].format(network=f"Network {net.tag}")
    assert body(message).startswith(russian["body"].split("{name}")[0]) and "/ui/reset/" in body(message)
