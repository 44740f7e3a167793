"""Forgotten passwords in the cabinets: "Forgot password?" on the log-in page, the neutral answer, the link
from a real e-mail (aiosmtpd on 127.0.0.1), the new-password form with its errors next to the fields, the
clear page for a link that cannot be used, the staff-issued link when no mail is configured (with its audit
row), and all of it in Russian with no English left.

One network for the module, two apps on it: one that mails (``mail_client``) and the conftest's that does
not (``module_client``, as in the demo). Each test makes its own user and uses its own client address.
"""

from __future__ import annotations

import re

import pytest
import pytest_asyncio
from httpx import Response

from admin_ui.i18n import Translator
from tests.support.client import Client
from tests.support.mail import Inbox, token_in
from tests.support.resets import (
    PASSWORD,
    audit_rows,
    client_ip,
    expire,
    new_user,
    user_id,
)
from tests.support.world import World, build_world
from tests.ui.support import browser, cookie_header, field_error, page_text, set_cookies
from tests.ui.test_i18n import _assert_russian

# The pages call the same service as the API, whose tests (tests/functional/test_password_reset.py) run on
# both engines.
pytestmark = [pytest.mark.sqlite_only, pytest.mark.asyncio(loop_scope="module")]

EN, RU = Translator("en"), Translator("ru")
NEW_PASSWORD = "a-brand-new-password"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(module_client: Client) -> World:
    return await build_world(module_client)


class Visitor:
    """A browser without a session: it keeps the pre-log-in form cookie and its own client address."""

    def __init__(self, client: Client, lang: str = "en") -> None:
        self.client = client
        self.cookies: dict[str, str] = {}
        self.headers = {"Accept-Language": lang, **client_ip()}

    async def get(self, path: str) -> Response:
        response = await self.client.get(
            path, headers={**self.headers, "Cookie": cookie_header(self.cookies)}, follow_redirects=False
        )
        self.cookies.update({k: v for k, v in set_cookies(response).items() if v})
        return response

    async def post(self, path: str, data: dict[str, str]) -> Response:
        form = {"_csrf": self.cookies.get("cpanet_form", ""), **data}
        return await self.client.post(
            path,
            data=form,
            headers={**self.headers, "Cookie": cookie_header(self.cookies)},
            follow_redirects=False,
        )


async def _mailed_token(visitor: Visitor, world: World, inbox: Inbox, email: str) -> str:
    before = len(inbox.to(email))
    await visitor.get("/ui/forgot")
    sent = await visitor.post("/ui/forgot", {"network": world.slug, "email": email})
    assert sent.status_code == 303, sent.text
    return token_in((await inbox.wait_for(email, before + 1))[-1])


async def test_forgot_password_by_email_then_log_in(mail_client: Client, net: World, inbox: Inbox) -> None:
    email = await new_user(mail_client, net)
    old_session = await browser(mail_client, net, "webmaster", email)
    assert (await old_session.get("/ui/wm")).status_code == 200
    visitor = Visitor(mail_client)
    login = await visitor.get(f"/ui/login?network={net.slug}")
    assert f'href="/ui/forgot?network={net.slug}"' in login.text
    assert EN("reset.forgot_link") in page_text(login.text)
    form = await visitor.get(f"/ui/forgot?network={net.slug}")
    assert form.status_code == 200 and f'value="{net.slug}"' in form.text
    assert EN("reset.request_lead") in page_text(form.text)

    sent = await visitor.post("/ui/forgot", {"network": net.slug, "email": email})
    assert sent.status_code == 303 and sent.headers["location"] == f"/ui/forgot/sent?network={net.slug}"
    neutral = page_text((await visitor.get(sent.headers["location"])).text)
    assert EN("reset.sent_text", network=net.slug) in neutral and EN.plural("reset.valid_for", 60) in neutral
    token = token_in((await inbox.wait_for(email))[0])

    page = await visitor.get(f"/ui/reset/{token}")
    assert page.status_code == 200 and EN("reset.new_title") in page_text(page.text)
    # Opening the page did not use the link; errors sit next to their fields.
    short = await visitor.post(f"/ui/reset/{token}", {"password": "short", "password2": "short"})
    assert short.status_code == 422 and field_error(short.text, "password") == EN("err.password_short")
    differ = await visitor.post(
        f"/ui/reset/{token}", {"password": NEW_PASSWORD, "password2": "something-else"}
    )
    assert differ.status_code == 422 and field_error(differ.text, "password2") == EN("reset.mismatch")
    missing = await visitor.post(f"/ui/reset/{token}", {"password": NEW_PASSWORD})
    assert field_error(missing.text, "password2") == EN("err.required")

    done = await visitor.post(f"/ui/reset/{token}", {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 303
    assert done.headers["location"] == f"/ui/login?network={net.slug}&done=password_reset"
    assert set_cookies(done)["cpanet_session"] == ""
    notice = page_text((await visitor.get(done.headers["location"])).text)
    assert EN("notice.password_reset") in notice
    # The session opened before the reset is over; the new password logs in through the form.
    assert (await old_session.get("/ui/wm")).headers["location"].startswith("/ui/login")
    wrong = await visitor.post("/ui/login", {"network": net.slug, "email": email, "password": PASSWORD})
    assert wrong.status_code == 401
    right = await visitor.post("/ui/login", {"network": net.slug, "email": email, "password": NEW_PASSWORD})
    assert right.status_code == 303 and set_cookies(right)["cpanet_session"]


async def test_unknown_accounts_get_the_same_page(mail_client: Client, net: World, inbox: Inbox) -> None:
    email = await new_user(mail_client, net)
    answers = []
    for address in (email, f"nobody-{net.tag}@example.com"):
        visitor = Visitor(mail_client)
        await visitor.get("/ui/forgot")
        sent = await visitor.post("/ui/forgot", {"network": net.slug, "email": address})
        answers.append((sent.status_code, sent.headers["location"]))
        page = await visitor.get(sent.headers["location"])
        answers.append((page.status_code, page.text.replace(visitor.cookies.get("cpanet_form", ""), "")))
    assert answers[0] == answers[2] and answers[1] == answers[3]
    await inbox.wait_for(email)
    assert inbox.to(f"nobody-{net.tag}@example.com") == []


async def test_the_request_form_checks_its_token_and_fields(mail_client: Client, net: World) -> None:
    visitor = Visitor(mail_client)
    await visitor.get("/ui/forgot")
    forged = await mail_client.post(
        "/ui/forgot",
        data={"_csrf": "forged", "network": net.slug, "email": "x@example.com"},
        headers={"Cookie": cookie_header(visitor.cookies), **client_ip()},
    )
    assert forged.status_code == 403
    empty = await visitor.post("/ui/forgot", {"network": net.slug, "email": ""})
    assert empty.status_code == 422 and field_error(empty.text, "email") == EN("err.required")
    malformed = await visitor.post("/ui/forgot", {"network": net.slug, "email": "not-an-address"})
    assert malformed.status_code == 422 and field_error(malformed.text, "email") == EN("err.invalid_value")


async def test_asking_too_often_is_refused(mail_client: Client, net: World) -> None:
    visitor = Visitor(mail_client)
    await visitor.get("/ui/forgot")
    email = f"often-{net.tag}@example.com"
    statuses = [
        (await visitor.post("/ui/forgot", {"network": net.slug, "email": email})).status_code
        for _ in range(5)
    ]
    refused = await visitor.post("/ui/forgot", {"network": net.slug, "email": email})
    assert statuses == [303] * 5 and refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "Too many attempts." in page_text(refused.text)


async def test_links_that_cannot_be_used_get_a_clear_page(
    mail_client: Client, net: World, inbox: Inbox
) -> None:
    visitor = Visitor(mail_client)
    unknown = await visitor.get("/ui/reset/not-a-real-token")
    assert unknown.status_code == 410 and EN("reset.gone_invalid") in page_text(unknown.text)
    assert (await visitor.get("/ui/reset/" + "x" * 500)).status_code == 410
    email = await new_user(mail_client, net)
    expired = await _mailed_token(visitor, net, inbox, email)
    await expire(expired)
    page = await visitor.get(f"/ui/reset/{expired}")
    assert page.status_code == 410 and EN("reset.gone_expired") in page_text(page.text)
    assert 'href="/ui/forgot"' in page.text
    late = await visitor.post(f"/ui/reset/{expired}", {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert late.status_code == 410 and EN("reset.gone_expired") in page_text(late.text)
    replaced = await _mailed_token(visitor, net, inbox, email)
    used = await _mailed_token(visitor, net, inbox, email)
    assert (await visitor.get(f"/ui/reset/{replaced}")).status_code == 410
    form = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert (await visitor.post(f"/ui/reset/{used}", form)).status_code == 303
    again = await visitor.get(f"/ui/reset/{used}")
    assert again.status_code == 410 and EN("reset.gone_used") in page_text(again.text)


async def test_staff_issue_a_link_when_no_mail_is_configured(module_client: Client, net: World) -> None:
    email = await new_user(module_client, net)
    uid = await user_id(net, email)
    staff = await browser(module_client, net, "staff")
    users = await staff.get("/ui/staff/users?role=webmaster")
    assert f'action="/ui/staff/users/{uid}/reset-link"' in users.text
    assert EN("reset.staff_no_mail") in page_text(users.text)
    assert (
        await staff.post(f"/ui/staff/users/{uid}/reset-link", {"role": "webmaster"}, csrf=None)
    ).status_code == 403
    issued = await staff.post(f"/ui/staff/users/{uid}/reset-link", {"role": "webmaster"})
    assert issued.status_code == 200 and "location" not in issued.headers
    assert EN("reset.staff_issued_title", email=email) in page_text(issued.text)
    found = re.search(
        r'<code id="reset-link-url">https://track\.example/ui/reset/([A-Za-z0-9_-]+)</code>', issued.text
    )
    assert found
    token = found.group(1)
    # Shown once: the users page does not show it again.
    assert token not in (await staff.get("/ui/staff/users?role=webmaster")).text
    rows = await audit_rows(net, uid)
    assert [r["action"] for r in rows] == ["password_reset.link_issued"]
    assert (rows[0]["actor_user_id"], rows[0]["actor_role"]) == (str(net.user_ids["staff"]), "staff")
    assert token not in str(rows[0])
    # The user asking "Forgot password?" meanwhile (no mail) does not replace the staff's link.
    visitor = Visitor(module_client)
    await visitor.get("/ui/forgot")
    assert (await visitor.post("/ui/forgot", {"network": net.slug, "email": email})).status_code == 303
    no_mail = page_text((await visitor.get(f"/ui/forgot/sent?network={net.slug}")).text)
    assert EN("reset.sent_no_mail", network=net.slug) in no_mail
    done = await visitor.post(f"/ui/reset/{token}", {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 303
    actions = [r["action"] for r in await audit_rows(net, uid)]
    assert actions == ["password_reset.link_issued", "password_reset.requested", "password_reset.completed"]


async def test_only_a_network_admin_issues_links_for_staff(module_client: Client, net: World) -> None:
    staff_user = await new_user(module_client, net, role="staff")
    uid = await user_id(net, staff_user)
    staff = await browser(module_client, net, "staff")
    tab = await staff.get("/ui/staff/users?role=staff")
    assert f'action="/ui/staff/users/{uid}/reset-link"' not in tab.text
    refused = await staff.post(f"/ui/staff/users/{uid}/reset-link", {"role": "staff"})
    assert refused.status_code == 403 and await audit_rows(net, uid) == []
    admin = await browser(module_client, net, "network_admin")
    assert (
        f'action="/ui/staff/users/{uid}/reset-link"' in (await admin.get("/ui/staff/users?role=staff")).text
    )
    assert (await admin.post(f"/ui/staff/users/{uid}/reset-link", {"role": "staff"})).status_code == 200


async def test_a_webmaster_cannot_issue_links(module_client: Client, net: World) -> None:
    uid = await user_id(net, await new_user(module_client, net))
    wm = await browser(module_client, net, "webmaster")
    refused = await wm.post(f"/ui/staff/users/{uid}/reset-link", {"role": "webmaster"})
    assert refused.status_code == 403 and await audit_rows(net, uid) == []


async def test_with_mail_staff_hand_out_no_links(mail_client: Client, net: World) -> None:
    uid = await user_id(net, await new_user(mail_client, net))
    staff = await browser(mail_client, net, "staff")
    users = await staff.get("/ui/staff/users?role=webmaster")
    assert "/reset-link" not in users.text and EN("reset.staff_no_mail") not in page_text(users.text)
    refused = await staff.post(f"/ui/staff/users/{uid}/reset-link", {"role": "webmaster"})
    assert refused.status_code == 409 and await audit_rows(net, uid) == []


async def test_the_reset_pages_in_russian(
    mail_client: Client, module_client: Client, net: World, inbox: Inbox
) -> None:
    email = await new_user(mail_client, net, locale="ru")
    visitor = Visitor(mail_client, "ru")
    login = _assert_russian((await visitor.get("/ui/login")).text, "login")
    assert RU("reset.forgot_link") in login
    assert RU("reset.request_title") in _assert_russian((await visitor.get("/ui/forgot")).text, "forgot")
    refused = await visitor.post("/ui/forgot", {"network": net.slug, "email": ""})
    assert field_error(refused.text, "email") == RU("err.required")
    _assert_russian(refused.text, "forgot refused")
    token = await _mailed_token(visitor, net, inbox, email)
    sent = await visitor.get(f"/ui/forgot/sent?network={net.slug}")
    assert RU("reset.sent_title") in _assert_russian(sent.text, "sent")
    form = _assert_russian((await visitor.get(f"/ui/reset/{token}")).text, "reset form")
    assert RU("reset.new_title") in form and RU("reset.password2") in form
    differ = await visitor.post(
        f"/ui/reset/{token}", {"password": NEW_PASSWORD, "password2": "другой-пароль"}
    )
    assert field_error(differ.text, "password2") == RU("reset.mismatch")
    _assert_russian(differ.text, "reset refused")
    done = await visitor.post(f"/ui/reset/{token}", {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert RU("notice.password_reset") in _assert_russian(
        (await visitor.get(done.headers["location"])).text, "done"
    )
    used = _assert_russian((await visitor.get(f"/ui/reset/{token}")).text, "used link")
    assert RU("reset.gone_used") in used
    # Without mail: the neutral page and the staff's issued link, in Russian too.
    plain = Visitor(module_client, "ru")
    await plain.get("/ui/forgot")
    await plain.post("/ui/forgot", {"network": net.slug, "email": email})
    no_mail = _assert_russian((await plain.get(f"/ui/forgot/sent?network={net.slug}")).text, "no mail")
    assert RU("reset.sent_no_mail_title") in no_mail
    staff = await browser(module_client, net, "staff")
    await staff.get("/ui/lang/ru")
    issued = await staff.post(
        f"/ui/staff/users/{await user_id(net, email)}/reset-link", {"role": "webmaster"}
    )
    text = _assert_russian(issued.text, "issued link")
    assert RU("reset.staff_issued_title", email=email) in text
    await staff.get("/ui/lang/en")  # the language is kept on the shared staff user
