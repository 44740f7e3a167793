"""One's own account through the API (``PATCH /api/v1/me``, ``POST /api/v1/me/email``,
``POST /api/v1/me/password``): name and language, a new log-in e-mail and a new password, each confirmed by
the current password where it matters, rate limited, audited, with notices through a real SMTP server
(aiosmtpd on 127.0.0.1). No mocks; both engines.

One app, one network and one SMTP server per module; each test makes its own users.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from network import jsoncol
from network.accounts.authn import authenticate_session
from network.accounts.tables import User
from network.audit.tables import AuditEntry
from network.errors import AuthenticationError
from tests.support.client import Client
from tests.support.mail import Inbox, body
from tests.support.resets import PASSWORD, audit_rows, client_ip, new_user, user_id
from tests.support.world import World, build_world

pytestmark = pytest.mark.asyncio(loop_scope="module")

ME, EMAIL, PASSWORD_URL = "/api/v1/me", "/api/v1/me/email", "/api/v1/me/password"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(mail_client: Client) -> World:
    return await build_world(mail_client)


async def _session(client: Client, world: World, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in with the API and return the headers that carry the session (cookie and CSRF token)."""
    response = await client.post(
        "/api/v1/auth/login",
        json={"network": world.slug, "email": email, "password": password},
        headers=client_ip(),
    )
    assert response.status_code == 200, response.text
    client.cookies.clear()  # each caller sends its own session below, nothing from the client's jar
    return {
        "Cookie": f"cpanet_session={response.cookies['cpanet_session']}",
        "X-CSRF-Token": response.json()["csrf_token"],
    }


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


async def test_name_and_language_change_and_only_the_name_is_audited(mail_client: Client, net: World) -> None:
    email = await new_user(mail_client, net)
    uid = await user_id(net, email)
    auth = await _session(mail_client, net, email)
    changed = await mail_client.patch(ME, json={"display_name": "  Maria K.  ", "locale": "ru"}, headers=auth)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["display_name"], changed.json()["locale"]) == ("Maria K.", "ru")
    me = await mail_client.get(ME, headers=auth)
    assert (me.json()["display_name"], me.json()["locale"]) == ("Maria K.", "ru")
    # A field left out stays as it is.
    only_lang = await mail_client.patch(ME, json={"locale": "en"}, headers=auth)
    assert (only_lang.json()["display_name"], only_lang.json()["locale"]) == ("Maria K.", "en")
    rows = await audit_rows(net, uid, "user.profile_updated")
    assert len(rows) == 1, "the language switch is not a change anyone else needs to see"
    assert rows[0]["actor_user_id"] == str(uid)

    blank = _problem(await mail_client.patch(ME, json={"display_name": "   "}, headers=auth), 422)
    assert blank["field"] == "display_name"
    # What the schema refuses is a 400 naming the key, as everywhere in the API.
    for bad, key in (({"locale": "de"}, "locale"), ({"display_name": "x" * 201}, "display_name")):
        refused = _problem(await mail_client.patch(ME, json=bad, headers=auth), 400)
        assert refused["errors"][0]["key"] == key
    _problem(await mail_client.patch(ME, json={"role": "staff"}, headers=auth), 400)
    user = await User.select(User.role, User.display_name).where(User.id == uid).first()
    assert user == {"role": "webmaster", "display_name": "Maria K."}


async def test_email_change_needs_the_password_moves_the_login_and_tells_the_old_address(
    mail_client: Client, net: World, inbox: Inbox
) -> None:
    email = await new_user(mail_client, net, role="advertiser")
    uid = await user_id(net, email)
    auth = await _session(mail_client, net, email)
    new_email = f"moved-{uid}@example.com"

    wrong = _problem(
        await mail_client.post(EMAIL, json={"email": new_email, "current_password": "nope"}, headers=auth),
        422,
    )
    assert wrong["field"] == "current_password"
    assert (await User.select(User.email).where(User.id == uid).first()) == {"email": email}

    # An address another account of this network uses is refused; the same address in another network
    # is not this network's business (the isolation matrix covers reading across networks).
    taken = net.principals["staff"]
    staff_email = (await User.select(User.email).where(User.id == taken.user_id).first() or {})["email"]
    clash = await mail_client.post(
        EMAIL, json={"email": staff_email.upper(), "current_password": PASSWORD}, headers=auth
    )
    assert _problem(clash, 409)["field"] == "email"

    # Ask for a reset link first: changing the e-mail must kill it (it went to the old address).
    asked = await mail_client.post(
        "/api/v1/auth/password-reset", json={"network": net.slug, "email": email}, headers=client_ip()
    )
    assert asked.status_code == 202
    link_mail = (await inbox.wait_for(email, 1))[-1]

    moved = await mail_client.post(
        EMAIL, json={"email": new_email.upper(), "current_password": PASSWORD}, headers=auth
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["email"] == new_email

    notice = (await inbox.wait_for(email, 2))[-1]
    assert notice is not link_mail and new_email in body(notice) and "reset" not in notice["Subject"].lower()
    # The old e-mail no longer logs in; the new one does, with the same password.
    old_login = await mail_client.post(
        "/api/v1/auth/login",
        json={"network": net.slug, "email": email, "password": PASSWORD},
        headers=client_ip(),
    )
    _problem(old_login, 401)
    await _session(mail_client, net, new_email)
    [row] = await audit_rows(net, uid, "user.email_changed")
    before, after = jsoncol.load(row["before"]), jsoncol.load(row["after"])
    assert before["email"] == email and after["email"] == new_email
    assert after["reset_links_revoked"] == 1


async def test_password_change_logs_out_other_sessions_and_keeps_this_one_and_the_keys(
    mail_client: Client, net: World, inbox: Inbox
) -> None:
    email = await new_user(mail_client, net, role="staff")
    uid = await user_id(net, email)
    here = await _session(mail_client, net, email)
    elsewhere = await _session(mail_client, net, email)
    key = await mail_client.post("/api/v1/api-keys", json={"name": "script"}, headers=here)
    assert key.status_code == 201, key.text
    api = {"Authorization": f"Bearer {key.json()['secret']}"}

    same = await mail_client.post(
        PASSWORD_URL, json={"current_password": PASSWORD, "new_password": PASSWORD}, headers=here
    )
    assert _problem(same, 422)["field"] == "new_password"
    short = await mail_client.post(
        PASSWORD_URL, json={"current_password": PASSWORD, "new_password": "short"}, headers=here
    )
    _problem(short, 400)
    wrong = await mail_client.post(
        PASSWORD_URL, json={"current_password": "not-it", "new_password": "a-new-long-password"}, headers=here
    )
    assert _problem(wrong, 422)["field"] == "current_password"

    changed = await mail_client.post(
        PASSWORD_URL, json={"current_password": PASSWORD, "new_password": "a-new-long-password"}, headers=here
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"sessions_revoked": 1, "reset_links_revoked": 0}

    assert (await mail_client.get(ME, headers=here)).status_code == 200
    _problem(await mail_client.get(ME, headers=elsewhere), 401)
    with pytest.raises(AuthenticationError):
        await authenticate_session(elsewhere["Cookie"].split("=", 1)[1])
    assert (await mail_client.get(ME, headers=api)).status_code == 200
    await _session(mail_client, net, email, "a-new-long-password")
    notice = (await inbox.wait_for(email, 1))[-1]
    assert "password" in notice["Subject"].lower() and "a-new-long-password" not in body(notice)

    [row] = await audit_rows(net, uid, "user.password_changed")
    assert jsoncol.load(row["after"]) == {"sessions_revoked": 1, "reset_links_revoked": 0}
    everything = await AuditEntry.select().where(AuditEntry.entity_id == str(uid))
    assert not any("a-new-long-password" in repr(r) or PASSWORD in repr(r) for r in everything)


async def test_guessing_the_current_password_is_rate_limited(mail_client: Client, net: World) -> None:
    email = await new_user(mail_client, net)
    auth = await _session(mail_client, net, email)
    statuses = []
    for _ in range(11):
        response = await mail_client.post(
            PASSWORD_URL,
            json={"current_password": "guess", "new_password": "a-new-long-password"},
            headers=auth,
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [422] * 10
    problem = _problem(response, 429)
    assert "current password" in problem["detail"]
    # The right password is refused too while the limit lasts: the limit is on tries, not on failures.
    right = await mail_client.post(
        EMAIL, json={"email": "x-limit@example.com", "current_password": PASSWORD}, headers=auth
    )
    _problem(right, 429)


async def test_every_role_reaches_its_own_account_only(mail_client: Client, net: World) -> None:
    """The routes take no ids: whoever calls changes their own row, whatever the body says."""
    for role in ("network_admin", "staff", "advertiser", "webmaster"):
        key = {"Authorization": f"Bearer {net.keys[role]}"}
        response = await mail_client.patch(ME, json={"display_name": f"Own {role}"}, headers=key)
        assert response.status_code == 200, response.text
        assert response.json()["user_id"] == net.principals[role].user_id
    names = await User.select(User.id, User.display_name).where(User.network == net.network_id)
    for role, principal in net.principals.items():
        assert {"id": principal.user_id, "display_name": f"Own {role}"} in names
    _problem(await mail_client.patch(ME, json={"display_name": "Anon"}), 401)
