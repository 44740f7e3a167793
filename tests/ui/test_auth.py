"""Log-in (with its own CSRF token and rate limit), sign-up with a referral code, and the language switch."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from httpx import Response

from admin_ui.i18n import Translator
from network.accounts import service as accounts
from network.accounts.tables import User, Webmaster
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, cookie_header, field_error, page_text, set_cookies

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only


RU = Translator("ru")


async def _form_cookie(client: Client, path: str = "/ui/login") -> dict[str, str]:
    page = await client.get(path)
    assert page.status_code == 200
    cookies = set_cookies(page)
    token = cookies["cpanet_form"]
    assert f'name="_csrf" value="{token}"' in page.text
    return cookies


async def _login(client: Client, cookies: dict[str, str], **form: str) -> Response:
    return await client.post(
        "/ui/login",
        data={"_csrf": cookies.get("cpanet_form", ""), **form},
        headers={"Cookie": cookie_header(cookies)},
        follow_redirects=False,
    )


async def test_login_form_signs_in_and_goes_to_the_next_page(client: Client, world: World) -> None:
    cookies = await _form_cookie(client)
    credentials = {
        "network": world.slug,
        "email": f"wm-{world.tag}@example.com",
        "password": "correct-horse-battery",
    }
    response = await client.post(
        "/ui/login",
        data={"_csrf": cookies["cpanet_form"], "next": "/ui/wm/balance", **credentials},
        headers={"Cookie": cookie_header(cookies)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/ui/wm/balance"
    session = set_cookies(response)["cpanet_session"]
    set_cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("cpanet_session="))
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie and "Secure" in set_cookie
    page = await client.get("/ui/wm/balance", headers={"Cookie": f"cpanet_session={session}"})
    assert page.status_code == 200 and "Balance" in page_text(page.text)


async def test_login_form_needs_its_token(client: Client, world: World) -> None:
    credentials = {
        "network": world.slug,
        "email": f"wm-{world.tag}@example.com",
        "password": "correct-horse-battery",
    }
    no_cookie = await client.post("/ui/login", data={"_csrf": "x", **credentials}, follow_redirects=False)
    assert no_cookie.status_code == 403
    cookies = await _form_cookie(client)
    mismatch = await client.post(
        "/ui/login",
        data={"_csrf": "not-the-cookie", **credentials},
        headers={"Cookie": cookie_header(cookies)},
        follow_redirects=False,
    )
    assert mismatch.status_code == 403 and "cpanet_session" not in set_cookies(mismatch)


async def test_wrong_password_is_shown_next_to_the_field(client: Client, world: World) -> None:
    cookies = await _form_cookie(client)
    response = await _login(
        client, cookies, network=world.slug, email=f"wm-{world.tag}@example.com", password="nope"
    )
    assert response.status_code == 401
    html = response.text
    assert field_error(html, "password") == "Wrong network, e-mail or password."
    assert f'value="wm-{world.tag}@example.com"' in html  # the e-mail is kept, the password is not
    missing = await _login(client, cookies, network=world.slug, email="", password="")
    assert missing.status_code == 422
    assert field_error(missing.text, "email") == "This field is required."


async def test_login_is_rate_limited_per_account(client: Client, world: World) -> None:
    cookies = await _form_cookie(client)
    email = f"adv-{world.tag}@example.com"
    statuses = []
    for _ in range(7):
        response = await _login(client, cookies, network=world.slug, email=email, password="guess-guess")
        statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    assert int(response.headers["retry-after"]) >= 1
    assert "Too many attempts." in page_text(response.text)
    # Even the right password waits now; another account is not affected.
    right = await _login(client, cookies, network=world.slug, email=email, password="correct-horse-battery")
    assert right.status_code == 429
    other = await _login(
        client,
        cookies,
        network=world.slug,
        email=f"wm-{world.tag}@example.com",
        password="correct-horse-battery",
    )
    assert other.status_code == 303


async def test_after_login_only_cabinet_pages_are_followed(client: Client, world: World) -> None:
    for target in ("https://evil.example/", "//evil.example/ui", "/api/v1/me", "/ui\\@evil"):
        cookies = await _form_cookie(client)
        response = await _login(
            client,
            cookies,
            network=world.slug,
            email=f"wm-{world.tag}@example.com",
            password="correct-horse-battery",
            next=target,
        )
        assert response.headers["location"] == "/ui/wm", target
    switch = await client.get("/ui/lang/ru?next=" + quote("//evil.example"), follow_redirects=False)
    assert switch.headers["location"] == "/ui"


async def test_signup_with_a_referral_code(client: Client, world: World) -> None:
    referrer = await accounts.me(world.principals["webmaster"])
    assert referrer.referral_code
    link = f"/ui/signup?network={world.slug}&ref={referrer.referral_code}"
    cookies = await _form_cookie(client, link)
    page = await client.get(link, headers={"Cookie": cookie_header(cookies)})
    assert f'value="{referrer.referral_code}"' in page.text and f'value="{world.slug}"' in page.text
    form = {
        "_csrf": cookies["cpanet_form"],
        "network": world.slug,
        "name": "Fresh Traffic",
        "email": f"fresh-{world.tag}@example.com",
        "password": "a-long-password",
        "referral_code": referrer.referral_code,
        "traffic_sources": "social, context",
    }
    headers = {"Cookie": cookie_header(cookies), "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
    bad_code = await client.post(
        "/ui/signup", data={**form, "referral_code": "NOPE"}, headers=headers, follow_redirects=False
    )
    assert bad_code.status_code == 422
    assert field_error(bad_code.text, "referral_code") == RU("err.referral_unknown")
    done = await client.post("/ui/signup", data=form, headers=headers, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/ui/wm?done=signed_up"
    row = (await Webmaster.select().where(Webmaster.name == "Fresh Traffic"))[0]
    assert row["status"] == "pending" and row["referred_by"] == world.webmaster_id
    # Signed in at once, in the language the sign-up page was shown in, with a note on what happens next.
    user = (await User.select(User.locale).where(User.webmaster == row["id"]))[0]
    assert user["locale"] == "ru"
    session = set_cookies(done)["cpanet_session"]
    dashboard = await client.get("/ui/wm?done=signed_up", headers={"Cookie": f"cpanet_session={session}"})
    text = page_text(dashboard.text)
    assert RU("dash.pending_title") in text
    taken = await client.post("/ui/signup", data=form, headers=headers, follow_redirects=False)
    assert taken.status_code == 409 and field_error(taken.text, "email") is not None


async def test_language_switch_is_kept_on_the_user(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    assert '<html lang="en">' in (await wm.get("/ui/wm")).text
    switched = await wm.get("/ui/lang/ru?next=/ui/wm/offers")
    assert switched.status_code == 303 and switched.headers["location"] == "/ui/wm/offers"
    assert set_cookies(switched)["cpanet_lang"] == "ru"
    # The choice is stored on the user: another session (another device) opens in Russian too.
    other = await browser(client, world, "webmaster")
    assert '<html lang="ru">' in (await other.get("/ui/wm")).text
    await wm.get("/ui/lang/en")
    assert '<html lang="en">' in (await other.get("/ui/wm")).text


async def test_anonymous_pages_follow_the_browser_language(client: Client) -> None:
    ru = await client.get("/ui/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert '<html lang="ru">' in ru.text and RU("login.title") in page_text(ru.text)
    en = await client.get("/ui/login", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5,ru;q=0.1"})
    assert '<html lang="en">' in en.text
    chosen = await client.get(
        "/ui/login", headers={"Accept-Language": "en", "Cookie": "cpanet_lang=ru"}, follow_redirects=False
    )
    assert '<html lang="ru">' in chosen.text


async def test_language_switch_comes_back_with_the_query(client: Client, world: World) -> None:
    """A referral link's network and code survive the language switch on the sign-up page."""
    page = await client.get(f"/ui/signup?network={world.slug}&ref=abc123", follow_redirects=False)
    assert page.status_code == 200
    expected_next = quote(f"/ui/signup?network={world.slug}&ref=abc123", safe="/")
    assert f'href="/ui/lang/ru?next={expected_next}"' in page.text
    switched = await client.get(f"/ui/lang/ru?next={expected_next}", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == f"/ui/signup?network={world.slug}&ref=abc123"
