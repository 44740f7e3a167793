"""Everyone's account page (/ui/account): name and language, log-in e-mail, password, through real sessions
and the service the API's /api/v1/me uses."""

from __future__ import annotations

import pytest

from admin_ui.i18n import Translator
from network.accounts.tables import User
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, field_error, page_text
from tests.ui.test_i18n import _assert_russian

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only

EN, RU = Translator("en"), Translator("ru")
PASSWORDS = {"network_admin": "admin-password"}


def _password(role: str) -> str:
    return PASSWORDS.get(role, "correct-horse-battery")


async def _user(world: World, role: str) -> dict[str, str]:
    row = (
        await User.select(User.email, User.display_name, User.locale)
        .where(User.id == world.principals[role].user_id)
        .first()
    )
    assert row is not None
    return row


@pytest.mark.parametrize("role", ["network_admin", "staff", "advertiser", "webmaster"])
async def test_every_role_has_its_account_page_and_renames_itself(
    client: Client, world: World, role: str
) -> None:
    session = await browser(client, world, role)
    page = await session.get("/ui/account")
    assert page.status_code == 200
    assert 'href="/ui/account" aria-current="page"' in page.text  # the name in the header leads here
    assert (await _user(world, role))["email"] in page_text(page.text)
    for name in ("display_name", "locale", "email", "current_password", "new_password", "new_password2"):
        assert f'name="{name}"' in page.text
    refused = await session.post("/ui/account/profile", {"display_name": "X", "locale": "en"}, csrf=None)
    assert refused.status_code == 403
    saved = await session.post("/ui/account/profile", {"display_name": f"New {role}", "locale": "en"})
    assert saved.status_code == 303 and saved.headers["location"] == "/ui/account?done=account_saved"
    again = await session.get(saved.headers["location"])
    assert EN("notice.account_saved") in page_text(again.text)
    assert f"New {role}" in page_text(again.text)
    assert (await _user(world, role))["display_name"] == f"New {role}"


async def test_anonymous_is_sent_to_log_in(client: Client) -> None:
    response = await client.get("/ui/account", follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/ui/login")


async def test_wrong_current_password_is_shown_next_to_its_field(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    before = await _user(world, "webmaster")
    wrong = await wm.post("/ui/account/email", {"email": "new@example.com", "current_password": "wrong"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "email-current") == EN("err.current_password")
    assert field_error(wrong.text, "password-current") is None  # the other form is not blamed
    assert 'value="new@example.com"' in wrong.text  # what was typed stays
    missing = await wm.post("/ui/account/email", {"email": "", "current_password": ""})
    assert missing.status_code == 422 and field_error(missing.text, "f-email") == EN("err.required")
    bad = await wm.post("/ui/account/email", {"email": "not an address", "current_password": "x"})
    assert bad.status_code == 422 and field_error(bad.text, "f-email")
    assert (await _user(world, "webmaster"))["email"] == before["email"]


async def test_email_change_taken_then_done(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    staff_email = (await _user(world, "staff"))["email"]
    taken = await adv.post(
        "/ui/account/email", {"email": staff_email, "current_password": _password("advertiser")}
    )
    assert taken.status_code == 409 and field_error(taken.text, "f-email") == EN("err.email_in_use")
    new = f"adv-moved-{world.tag}@example.com"
    moved = await adv.post("/ui/account/email", {"email": new, "current_password": _password("advertiser")})
    assert moved.status_code == 303
    page = await adv.get(moved.headers["location"])
    assert EN("notice.account_email_changed") in page_text(page.text)
    assert EN("account.email_now", email=new) in page_text(page.text)
    # The next log-in uses the new address.
    await browser(client, world, "advertiser", email=new)


async def test_password_change_keeps_this_session_and_ends_the_others(client: Client, world: World) -> None:
    here = await browser(client, world, "staff")
    other = await browser(client, world, "staff")
    mismatch = await here.post(
        "/ui/account/password",
        {
            "current_password": _password("staff"),
            "new_password": "a-new-long-pw",
            "new_password2": "other-pw-x",
        },
    )
    assert mismatch.status_code == 422 and field_error(mismatch.text, "new_password2") == EN(
        "account.mismatch"
    )
    short = await here.post(
        "/ui/account/password",
        {"current_password": _password("staff"), "new_password": "short", "new_password2": "short"},
    )
    assert short.status_code == 422 and field_error(short.text, "new_password") == EN("err.password_short")
    done = await here.post(
        "/ui/account/password",
        {
            "current_password": _password("staff"),
            "new_password": "a-new-long-pw",
            "new_password2": "a-new-long-pw",
        },
    )
    assert done.status_code == 303
    page = await here.get(done.headers["location"])
    assert page.status_code == 200 and EN("notice.account_password_changed") in page_text(page.text)
    ended = await other.get("/ui/account")
    assert ended.status_code in (302, 303) and ended.headers["location"].startswith("/ui/login")


async def test_choosing_russian_turns_the_page_russian(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    saved = await wm.post("/ui/account/profile", {"display_name": "Мария", "locale": "ru"})
    # Through the language switch, so the language cookie (what the log-in page reads) follows.
    assert saved.status_code == 303 and saved.headers["location"].startswith("/ui/lang/ru?next=")
    switched = await wm.get(saved.headers["location"])
    assert switched.status_code == 303 and switched.headers["location"] == "/ui/account?done=account_saved"
    page = await wm.get(switched.headers["location"])
    text = _assert_russian(page.text, "account")
    assert RU("notice.account_saved") in text and RU("account.title") in text
    wrong = await wm.post(
        "/ui/account/password", {"current_password": "x", "new_password": "", "new_password2": ""}
    )
    assert wrong.status_code == 422
    _assert_russian(wrong.text, "account password errors")
    assert (await _user(world, "webmaster"))["locale"] == "ru"
