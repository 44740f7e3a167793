"""The webmaster's postbacks page: endpoints through network/outgoing/service.py, the SSRF guard's refusal
next to the address, test fire and replay against a real loopback receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from admin_ui.i18n import Translator
from network.outgoing import delivery
from network.outgoing import service as outgoing
from network.outgoing.tables import PostbackDelivery
from tests.functional.test_outgoing_postbacks import Receiver
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, conversion, field_error, page_text
from tests.ui.test_i18n import _assert_russian
from tests.ui.test_wm_pages import element

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only

EN, RU = Translator("en"), Translator("ru")
PUBLIC_URL = "https://tracker.example.com/pb?cid={click_id}&s={status}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback receiver that answers 503 once, then 200; allowlisted for the test only."""
    with Receiver(failures=1) as running:
        delivery.configure(f"127.0.0.1:{running.port}")
        try:
            yield running
        finally:
            delivery.configure("")


async def _endpoints(world: World) -> list[str]:
    return [e.url for e in await outgoing.list_endpoints(world.principals["webmaster"])]


async def test_postbacks_page_and_empty_states(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    response = await wm.get("/ui/wm/postbacks")
    assert response.status_code == 200
    text = page_text(response.text)
    assert EN("wm.postbacks.none") in text and EN("wm.postbacks.no_deliveries") in text
    for name in ("url", "offer_id", "goals"):
        assert f'name="{name}"' in response.text and f'<label for="f-{name}">' in response.text
    assert 'name="statuses" value="approved"' in response.text
    assert f'<option value="{world.offers["public"]}">Offer {world.tag} public</option>' in response.text
    assert 'href="/ui/wm/postbacks" aria-current="page"' in response.text


async def test_create_shows_the_secret_once(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    form = {"url": PUBLIC_URL, "offer_id": str(world.offers["public"]), "goals": "lead, sale"}
    refused = await wm.client.post("/ui/wm/postbacks", data=form, headers=wm.headers, follow_redirects=False)
    assert refused.status_code == 403 and await _endpoints(world) == []
    created = await wm.client.post(
        "/ui/wm/postbacks",
        data={**form, "statuses": ["approved", "reversed"], "_csrf": wm.csrf},
        headers=wm.headers,
        follow_redirects=False,
    )
    assert created.status_code == 201, created.text[:3000]
    secret = element(created.text, "postback-secret")
    assert secret and len(secret) == 64
    [endpoint] = await outgoing.list_endpoints(world.principals["webmaster"])
    assert endpoint.url == PUBLIC_URL and endpoint.offer_id == world.offers["public"]
    assert endpoint.statuses == ["approved", "reversed"] and endpoint.goals == ["lead", "sale"]
    again = await wm.get("/ui/wm/postbacks")
    assert secret not in again.text
    assert f'id="endpoint-{endpoint.id}"' in again.text and f"Offer {world.tag} public" in page_text(
        again.text
    )


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://127.0.0.1/pb", "wm.err.ssrf_blocked_address"),
        ("http://10.0.0.5/pb", "wm.err.ssrf_blocked_address"),
        ("http://user:pw@example.com/pb", "wm.err.ssrf_userinfo"),
        ("ftp://example.com/pb", "wm.err.ssrf_bad_scheme"),
        ("http://{sub1}.example.com/pb", "wm.err.macro_in_host"),
    ],
)
async def test_the_ssrf_guard_refusal_is_next_to_the_url(
    client: Client, world: World, url: str, key: str
) -> None:
    wm = await browser(client, world, "webmaster")
    refused = await wm.post("/ui/wm/postbacks", {"url": url})
    assert refused.status_code == 422
    assert field_error(refused.text, "url") == EN(key)
    assert await _endpoints(world) == []


async def test_form_errors_next_to_their_field(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    missing = await wm.post("/ui/wm/postbacks", {"url": ""})
    assert missing.status_code == 422 and field_error(missing.text, "url") == EN("err.required")
    unknown = await wm.post("/ui/wm/postbacks", {"url": "https://tracker.example.com/?x={nope}"})
    assert field_error(unknown.text, "url") == EN(
        "wm.err.macro_unknown", detail="nope (see docs/postbacks.md)"
    )
    bad_goal = await wm.post("/ui/wm/postbacks", {"url": PUBLIC_URL, "goals": "Not A Key"})
    assert bad_goal.status_code == 422 and field_error(bad_goal.text, "goals") == EN("err.invalid_value")
    assert 'value="Not A Key"' in bad_goal.text
    assert await _endpoints(world) == []


async def test_edit_and_switch_off(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    assert (await wm.post("/ui/wm/postbacks", {"url": PUBLIC_URL})).status_code == 201
    [endpoint] = await outgoing.list_endpoints(world.principals["webmaster"])
    page = await wm.get(f"/ui/wm/postbacks/{endpoint.id}")
    assert page.status_code == 200 and 'name="enabled" value="on" checked' in page.text
    new_url = "https://tracker.example.com/v2?cid={click_id}"
    assert (await wm.post(f"/ui/wm/postbacks/{endpoint.id}", {"url": new_url}, csrf=None)).status_code == 403
    refused = await wm.post(
        f"/ui/wm/postbacks/{endpoint.id}", {"url": "http://192.168.1.1/", "enabled": "on"}
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "url") == EN("wm.err.ssrf_blocked_address")
    saved = await wm.post(
        f"/ui/wm/postbacks/{endpoint.id}", {"url": new_url, "enabled": "on", "goals": "lead"}
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/ui/wm/postbacks?done=wm_postback_saved"
    [endpoint] = await outgoing.list_endpoints(world.principals["webmaster"])
    assert endpoint.url == new_url and endpoint.goals == ["lead"] and endpoint.enabled
    assert (await wm.post(f"/ui/wm/postbacks/{endpoint.id}/disable", {}, csrf="bad")).status_code == 403
    off = await wm.post(f"/ui/wm/postbacks/{endpoint.id}/disable", {})
    assert off.status_code == 303
    [endpoint] = await outgoing.list_endpoints(world.principals["webmaster"])
    assert not endpoint.enabled
    listed = page_text((await wm.get(off.headers["location"])).text)
    assert EN("notice.wm_postback_disabled") in listed and EN("wm.postbacks.off") in listed
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    assert (await other.get(f"/ui/wm/postbacks/{endpoint.id}")).status_code == 404


async def test_test_fire_shows_status_latency_and_answer(
    client: Client, world: World, receiver: Receiver
) -> None:
    wm = await browser(client, world, "webmaster")
    url = f"http://127.0.0.1:{receiver.port}/pb?cid={{click_id}}"
    assert (await wm.post("/ui/wm/postbacks", {"url": url})).status_code == 201
    [endpoint] = await outgoing.list_endpoints(world.principals["webmaster"])
    assert (await wm.post(f"/ui/wm/postbacks/{endpoint.id}/test", {}, csrf=None)).status_code == 403
    assert receiver.requests == []
    fired = await wm.post(f"/ui/wm/postbacks/{endpoint.id}/test", {})
    assert fired.status_code == 200
    assert len(receiver.requests) == 1 and receiver.requests[0]["path"] == "/pb?cid=TEST"
    assert element(fired.text, "test-status") == "503"
    assert element(fired.text, "test-snippet") == "busy, try later"
    assert (element(fired.text, "test-latency") or "").endswith(" ms")
    again = await wm.post(f"/ui/wm/postbacks/{endpoint.id}/test", {})
    assert element(again.text, "test-status") == "200" and element(again.text, "test-snippet") == "ok"
    log = page_text(again.text.split('id="deliveries"')[1])
    assert EN("wm.postbacks.test_event") in log and EN("wm.delivery_state.delivered") in log


async def test_delivery_log_and_replay_of_a_failed_delivery(
    client: Client, world: World, receiver: Receiver
) -> None:
    wm = await browser(client, world, "webmaster")
    url = f"http://127.0.0.1:{receiver.port}/pb?cid={{click_id}}&status={{status}}"
    assert (await wm.post("/ui/wm/postbacks", {"url": url})).status_code == 201
    conversion_id = await conversion(client, world, "PB-1")
    assert await delivery.deliver_due(network_id=world.network_id) == {"queued": 1}  # the 503
    row = await PostbackDelivery.select().where(PostbackDelivery.conversion == conversion_id).first()
    assert row is not None
    await PostbackDelivery.update({PostbackDelivery.state: "dead"}).where(PostbackDelivery.id == row["id"])
    page = await wm.get("/ui/wm/postbacks")
    line = page_text(page.text.split(f'id="delivery-{row["id"]}"')[1].split("</tr>")[0])
    assert EN("wm.delivery_state.dead") in line and "503" in line and "busy, try later" in line
    action = f"/ui/wm/postbacks/deliveries/{row['id']}/replay"
    assert f'action="{action}"' in page.text
    assert (await wm.post(action, {}, csrf=None)).status_code == 403
    replayed = await wm.post(action, {})
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/ui/wm/postbacks?done=wm_delivery_replayed"
    after = await PostbackDelivery.select().where(PostbackDelivery.id == row["id"]).first()
    assert after is not None and after["state"] == "queued"
    assert await delivery.deliver_due(network_id=world.network_id) == {"delivered": 1}
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    assert (await other.post(action, {})).status_code == 404


@pytest.mark.parametrize("role", ["advertiser", "staff", "network_admin"])
async def test_other_roles_get_403(client: Client, world: World, role: str) -> None:
    session = await browser(client, world, role)
    assert (await session.get("/ui/wm/postbacks")).status_code == 403
    assert (await session.post("/ui/wm/postbacks", {"url": PUBLIC_URL})).status_code == 403


async def test_russian_postbacks(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    assert (await wm.get("/ui/lang/ru")).status_code == 303
    text = _assert_russian((await wm.get("/ui/wm/postbacks")).text, "postbacks")
    assert RU("wm.postbacks.create") in text and RU("wm.postbacks.none") in text
    refused = await wm.post("/ui/wm/postbacks", {"url": "http://127.0.0.1/pb"})
    assert field_error(refused.text, "url") == RU("wm.err.ssrf_blocked_address")
    _assert_russian(refused.text, "refused")
    created = await wm.post("/ui/wm/postbacks", {"url": PUBLIC_URL})
    assert RU("wm.postbacks.secret_once") in _assert_russian(created.text, "created")
