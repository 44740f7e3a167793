"""The advertiser's postback page: tokens (shown once), example addresses per dialect, a test postback
through the real intake, and the log of refused postbacks with their reason codes."""

from __future__ import annotations

import re

import pytest

from network.conversions.tables import Conversion, PostbackAuth
from tests.support.client import Client
from tests.support.conversions import click, fund
from tests.support.world import World
from tests.ui.support import browser, field_error, page_text
from tests.ui.test_i18n import RU, _assert_russian

pytestmark = pytest.mark.sqlite_only


async def _tokens(world: World) -> int:
    return int(await PostbackAuth.count().where(PostbackAuth.network == world.network_id))


def _new_token(text: str) -> str:
    match = re.search(r'id="token-value" type="text" readonly value="(pbk_[^"]+)"', text)
    assert match, "the new token is shown"
    return match.group(1)


async def test_examples_in_every_dialect_and_the_empty_states(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    page = await adv.get("/ui/adv/postbacks")
    assert page.status_code == 200
    host = f"https://t-{world.tag}.example"
    for fragment in (
        f"{host}/postback?token=pbk_…&amp;click_id={{clickid}}",
        f"{host}/aff_lsr?security_token=pbk_…",
        "verification_token=pbk_…",
        "cid={cid}&amp;txid={txid}",
        "clickid={clickid}&amp;type=lead",
        "secure=pbk_…",
        f"{host}/pixel.gif?token=pbk_…",
    ):
        assert fragment in page.text, fragment
    text = page_text(page.text)
    assert "You have no postback token yet" in text and "No refused postbacks." in text


async def test_create_a_token_then_test_and_revoke(client: Client, world: World) -> None:
    await fund(world, "100.00")
    adv = await browser(client, world, "advertiser")
    assert (await adv.post("/ui/adv/postbacks/credentials", {}, csrf=None)).status_code == 403
    assert await _tokens(world) == 0
    bad = await adv.post("/ui/adv/postbacks/credentials", {"ip_allowlist": "not-an-ip"})
    assert bad.status_code == 422 and field_error(bad.text, "ip_allowlist") is not None
    created = await adv.post("/ui/adv/postbacks/credentials", {"ip_allowlist": ""})
    assert created.status_code == 200 and await _tokens(world) == 1
    token = _new_token(created.text)
    # The examples now carry the real token, once.
    assert f"/aff_lsr?security_token={token}&amp;" in created.text
    again = await adv.get("/ui/adv/postbacks")
    assert token not in again.text and "pbk_" in again.text
    # A test postback through the same intake as /postback: a real conversion.
    click_id = await click(client, world)
    assert (
        await adv.post("/ui/adv/postbacks/test", {"token": token, "click_id": click_id}, csrf=None)
    ).status_code == 403
    sent = await adv.post(
        "/ui/adv/postbacks/test",
        {"token": token, "click_id": click_id, "order_id": "T-1", "sale_amount": "40"},
    )
    assert sent.status_code == 200
    result = page_text(sent.text.split('id="test-result"', 1)[1].split("</div>", 1)[0])
    assert "Accepted" in result
    assert await Conversion.exists().where(
        (Conversion.network == world.network_id) & (Conversion.order_id == "T-1")
    )
    # An unknown click is refused and listed with its reason code.
    unknown = await adv.post("/ui/adv/postbacks/test", {"token": token, "click_id": "0" * 19})
    assert "Refused" in page_text(unknown.text)
    log = (await adv.get("/ui/adv/postbacks")).text.split('id="rejected-log"', 1)[1]
    assert "<code>unknown_click</code>" in log and "Unknown click" in page_text(log)
    missing = await adv.post("/ui/adv/postbacks/test", {"token": token})
    assert (
        missing.status_code == 422 and field_error(missing.text, "test-click_id") == "This field is required."
    )
    credential_id = int(re.findall(r'id="credential-(\d+)"', again.text)[0])
    path = f"/ui/adv/postbacks/credentials/{credential_id}/revoke"
    assert (await adv.post(path, {}, csrf="wrong")).status_code == 403
    revoked = await adv.post(path, {})
    assert revoked.status_code == 303
    row = await PostbackAuth.select(PostbackAuth.revoked_at).where(PostbackAuth.id == credential_id).first()
    assert row is not None and row["revoked_at"] is not None
    refused = await adv.post("/ui/adv/postbacks/test", {"token": token, "click_id": click_id})
    assert "<code>invalid_token</code>" in refused.text


async def test_other_roles_get_403(client: Client, world: World) -> None:
    for role in ("webmaster", "staff"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/adv/postbacks")).status_code == 403
        assert (await session.post("/ui/adv/postbacks/credentials", {})).status_code == 403
    assert await _tokens(world) == 0


async def test_in_russian(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    await adv.get("/ui/lang/ru")
    text = _assert_russian((await adv.get("/ui/adv/postbacks")).text, "postbacks")
    assert RU("adv.postbacks.title") in text
    created = await adv.post("/ui/adv/postbacks/credentials", {})
    _assert_russian(created.text, "created")
    token = _new_token(created.text)
    unknown = await adv.post("/ui/adv/postbacks/test", {"token": token, "click_id": "0" * 19})
    assert RU("adv.decision.rejected") in _assert_russian(unknown.text, "refused")
