"""The webmaster's profile, API keys and referrals, through real sessions and the same services as the API."""

from __future__ import annotations

import re

import pytest

from admin_ui.i18n import Translator
from network.accounts import authn
from network.accounts import service as accounts
from network.accounts.schemas import SignupIn
from network.accounts.tables import User, Webmaster
from network.conversions import service as conversions
from network.conversions.policy import FinancePolicy, save
from network.conversions.schemas import TransitionIn
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, conversion, field_error, page_text
from tests.ui.test_i18n import _assert_russian
from tests.ui.test_wm_pages import element

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only

EN, RU = Translator("en"), Translator("ru")


async def _keys(world: World) -> list[str]:
    return [k.name for k in await authn.list_api_keys(world.principals["webmaster"], everyone=False)]


async def test_profile_shows_the_account_and_its_keys(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    response = await wm.get("/ui/wm/profile")
    assert response.status_code == 200
    me = await accounts.me(world.principals["webmaster"])
    assert element(response.text, "profile-email") == me.email
    text = page_text(response.text)
    assert me.referral_code and me.referral_code in text
    assert "test" in text and "spare" in text  # the world's keys
    for name in ("name", "rate_limit_per_minute", "locale"):
        assert f'name="{name}"' in response.text and f'<label for="f-{name}">' in response.text
    assert 'href="/ui/wm/profile" aria-current="page"' in response.text


async def test_create_an_api_key_shows_the_secret_once_and_it_works(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    refused = await wm.post("/ui/wm/api-keys", {"name": "tracker"}, csrf=None)
    assert refused.status_code == 403 and "tracker" not in await _keys(world)
    created = await wm.post("/ui/wm/api-keys", {"name": "tracker", "rate_limit_per_minute": "60"})
    assert created.status_code == 201
    secret = element(created.text, "api-key-secret")
    assert secret and "tracker" in await _keys(world)
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["role"] == "webmaster"
    # Shown once: the next visit lists the key without its secret.
    again = await wm.get("/ui/wm/profile")
    assert secret not in again.text and 'id="api-key-secret"' not in again.text
    key = next(k for k in await authn.list_api_keys(world.principals["webmaster"], everyone=False))
    assert key.prefix in page_text(again.text)


async def test_api_key_form_errors_next_to_their_field(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    before = await _keys(world)
    missing = await wm.post("/ui/wm/api-keys", {"name": ""})
    assert missing.status_code == 422 and field_error(missing.text, "name") == EN("err.required")
    bad = await wm.post("/ui/wm/api-keys", {"name": "x", "rate_limit_per_minute": "lots"})
    assert bad.status_code == 422
    assert field_error(bad.text, "rate_limit_per_minute") == EN("err.invalid_value")
    assert 'value="lots"' in bad.text  # what was typed stays
    assert await _keys(world) == before


async def test_revoke_an_api_key(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    key_id = world.spare_key_ids["webmaster"]
    refused = await wm.post(f"/ui/wm/api-keys/{key_id}/revoke", {}, csrf="wrong")
    assert refused.status_code == 403
    keys = {k.id: k for k in await authn.list_api_keys(world.principals["webmaster"], everyone=False)}
    assert keys[key_id].revoked_at is None
    response = await wm.post(f"/ui/wm/api-keys/{key_id}/revoke", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/wm/profile?done=wm_key_revoked"
    keys = {k.id: k for k in await authn.list_api_keys(world.principals["webmaster"], everyone=False)}
    assert keys[key_id].revoked_at is not None
    page = await wm.get(response.headers["location"])
    assert EN("notice.wm_key_revoked") in page_text(page.text)
    assert f'action="/ui/wm/api-keys/{key_id}/revoke"' not in page.text
    # Another user's key is "not found", and stays as it was.
    other = world.spare_key_ids["advertiser"]
    missing = await wm.post(f"/ui/wm/api-keys/{other}/revoke", {})
    assert missing.status_code == 404 and EN("err.not_found") in page_text(missing.text)


async def test_language_form(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    assert (await wm.post("/ui/wm/profile/language", {"locale": "ru"}, csrf=None)).status_code == 403
    saved = await wm.post("/ui/wm/profile/language", {"locale": "ru"})
    assert saved.status_code == 303
    user = await User.select(User.locale).where(User.id == world.principals["webmaster"].user_id).first()
    assert user is not None and user["locale"] == "ru"
    page = await wm.get(saved.headers["location"])
    assert RU("notice.wm_language_saved") in _assert_russian(page.text, "profile")
    wrong = await wm.post("/ui/wm/profile/language", {"locale": "xx"})
    assert wrong.status_code == 422 and field_error(wrong.text, "locale")


async def test_referral_link_and_referred_webmasters(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    empty = await wm.get("/ui/wm/referrals")
    assert empty.status_code == 200 and EN("wm.referrals.none") in page_text(empty.text)
    me = await accounts.me(world.principals["webmaster"])
    assert me.referral_code is not None
    link = element(empty.text, "referral-link") or ""
    assert link == f"http://testserver.local/ui/signup?network={world.slug}&ref={me.referral_code}"
    signup = await client.get(re.sub(r"^https?://[^/]+", "", link))
    assert signup.status_code == 200 and me.referral_code in signup.text  # the code is filled in
    await accounts.signup_webmaster(
        SignupIn(
            network=world.slug,
            email=f"ref-{world.tag}@example.com",
            password="long-enough-pw",
            name="Referred One",
            referral_code=me.referral_code,
        ),
        client.app.state.hasher,
    )
    text = page_text((await wm.get("/ui/wm/referrals")).text)
    assert "Referred One" in text and EN("wm.profile_status.pending") in text


async def test_referrals_show_what_each_referred_webmaster_earned_the_referrer(
    client: Client, world: World
) -> None:
    """The world's webmaster signed up with the other one's code; the programme pays 10 % of the payout."""
    await save(world.network_id, FinancePolicy(referral_shares=["10"], balance_gate="hold"))
    await Webmaster.update({Webmaster.referred_by: world.other_webmaster_id}).where(
        Webmaster.id == world.webmaster_id
    )
    referrer = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    before = await referrer.get("/ui/wm/referrals")
    assert element(before.text, f"referral-earned-{world.webmaster_id}") == "—"
    first = await conversion(client, world, "REF-1")
    await conversion(client, world, "REF-2")
    page = await referrer.get("/ui/wm/referrals")
    assert element(page.text, f"referral-earned-{world.webmaster_id}") == "$2.00"  # 10 % of 2 x $10.00
    # A reversal takes its commission back.
    await conversions.transition(
        world.principals["staff"],
        first,
        TransitionIn(to="reversed", reason="chargeback", comment="refunded"),
    )
    page = await referrer.get("/ui/wm/referrals")
    assert element(page.text, f"referral-earned-{world.webmaster_id}") == "$1.00"
    # The API says the same, for staff reading the referrer's referrals.
    api = await client.get(
        f"/api/v1/webmasters/{world.other_webmaster_id}/referrals", headers=world.auth("staff")
    )
    assert api.status_code == 200
    [row] = api.json()["items"]
    assert row["id"] == world.webmaster_id and row["earned"] == [{"currency": "USD", "amount": "1.00"}]
    # The referred webmaster's own earnings are not the referrer's: their own page lists nobody.
    own = await browser(client, world, "webmaster")
    assert EN("wm.referrals.none") in page_text((await own.get("/ui/wm/referrals")).text)


@pytest.mark.parametrize("role", ["advertiser", "staff", "network_admin"])
async def test_other_roles_get_403(client: Client, world: World, role: str) -> None:
    session = await browser(client, world, role)
    for path in ("/ui/wm/profile", "/ui/wm/referrals"):
        assert (await session.get(path)).status_code == 403, path
    assert (await session.post("/ui/wm/api-keys", {"name": "x"})).status_code == 403


async def test_russian_profile_and_referrals(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    assert (await wm.get("/ui/lang/ru")).status_code == 303
    text = _assert_russian((await wm.get("/ui/wm/profile")).text, "profile")
    assert RU("wm.keys.title") in text and RU("wm.keys.create") in text
    created = await wm.post("/ui/wm/api-keys", {"name": "ключ"})
    assert RU("wm.keys.store_now") in _assert_russian(created.text, "created")
    text = _assert_russian((await wm.get("/ui/wm/referrals")).text, "referrals")
    assert RU("wm.referrals.link_title") in text
