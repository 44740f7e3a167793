"""Outgoing postbacks to webmasters: signed, retried with backoff and the same event id, SSRF-guarded."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from network.outbound.signing import verify
from network.outgoing import delivery
from network.outgoing.tables import PostbackAttempt, PostbackDelivery
from tests.support.client import Client
from tests.support.conversions import click, credential, fund, postback
from tests.support.world import World

BYPASSES = [
    "http://127.0.0.1/pb",
    "http://localhost/pb",
    "http://2130706433/pb",
    "http://0177.0.0.1/pb",
    "http://0x7f.1/pb",
    "http://127.1/pb",
    "http://[::1]/pb",
    "http://[::ffff:127.0.0.1]/pb",
    "http://[::ffff:7f00:1]/pb",
    "http://169.254.169.254/latest/meta-data",
    "http://metadata.google.internal/",
    "http://10.0.0.5/pb",
    "http://172.16.3.4/pb",
    "http://192.168.1.1/pb",
    "http://100.64.0.1/pb",
    "http://0.0.0.0/pb",
    "http://[fe80::1]/pb",
    "http://[fd00:ec2::254]/pb",
    "http://[64:ff9b::a9fe:a9fe]/pb",
    "http://[2002:7f00:1::]/pb",
    "http://user:pw@example.com/pb",
    "ftp://example.com/pb",
    "javascript:alert(1)",
    "http://{sub1}.example.com/pb",
]


class Receiver:
    """A loopback HTTP receiver that fails ``failures`` times (HTTP 503) and then answers 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append({"path": self.path, "headers": dict(self.headers.items())})
                failing = len(outer.requests) <= outer.failures
                self.send_response(503 if failing else 200)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"busy, try later" if failing else b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(failures=3) as running:
        delivery.configure(f"127.0.0.1:{running.port}")
        try:
            yield running
        finally:
            delivery.configure("")


async def test_failing_receiver_gets_four_attempts_with_one_event_id(
    client: Client, world: World, receiver: Receiver
) -> None:
    await fund(world, "100.00")
    url = f"http://127.0.0.1:{receiver.port}/pb?cid={{click_id}}&status={{status}}&payout={{payout}}&s1={{sub1}}"
    created = await client.post(
        "/api/v1/postback-endpoints",
        json={"url": url, "statuses": ["approved"]},
        headers=world.auth("webmaster"),
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    token = (await credential(client, world))["token"]
    click_id = await click(client, world, sub1="a&b=c")
    body = (await postback(client, token, click_id=click_id, order_id="out-1")).json()
    assert body["status"] == "approved"
    now = datetime.now(UTC)
    states = []
    for _ in range(4):
        states.append(await delivery.deliver_due(now, network_id=world.network_id))
        now += timedelta(hours=7)  # past any backoff
    assert states == [{"queued": 1}, {"queued": 1}, {"queued": 1}, {"delivered": 1}]
    assert len(receiver.requests) == 4
    ids = {r["headers"]["X-Cpanet-Event-Id"] for r in receiver.requests}
    assert len(ids) == 1
    last = receiver.requests[-1]
    assert (
        f"cid={click_id}" in last["path"]
        and "status=approved" in last["path"]
        and "payout=10.00" in last["path"]
    )
    assert "s1=a%26b%3Dc" in last["path"]  # a sub id cannot add parameters
    full_url = f"http://127.0.0.1:{receiver.port}{last['path']}"
    assert verify(secret.encode(), last["headers"], "GET", full_url, b"", now=time.time())
    row = await PostbackDelivery.select().where(PostbackDelivery.conversion == body["conversion_id"]).first()
    assert row is not None and row["state"] == "delivered" and row["attempts"] == 4
    log = (
        await client.get(f"/api/v1/postback-deliveries/{row['id']}", headers=world.auth("webmaster"))
    ).json()
    assert [a["http_status"] for a in log["log"]] == [503, 503, 503, 200]
    assert log["log"][0]["response_snippet"] == "busy, try later"
    # Nothing left to send; a replay sends the same event again.
    assert await delivery.deliver_due(now, network_id=world.network_id) == {}
    replayed = await client.post(
        f"/api/v1/postback-deliveries/{row['id']}/replay", headers=world.auth("webmaster")
    )
    assert replayed.status_code == 200 and replayed.json()["state"] == "queued"
    assert await delivery.deliver_due(now + timedelta(seconds=1), network_id=world.network_id) == {
        "delivered": 1
    }
    assert {r["headers"]["X-Cpanet-Event-Id"] for r in receiver.requests} == ids


@pytest.mark.parametrize("url", BYPASSES)
async def test_ssrf_bypass_is_refused_when_saved(client: Client, world: World, url: str) -> None:
    response = await client.post(
        "/api/v1/postback-endpoints", json={"url": url}, headers=world.auth("webmaster")
    )
    assert response.status_code == 422, (url, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_ssrf_bypass_is_refused_when_sent(client: Client, world: World) -> None:
    """URLs that got into the outbox anyway (a DNS change after saving, an older row) are refused at send time
    and never reach the network."""
    created = await client.post(
        "/api/v1/postback-endpoints",
        json={"url": "https://tracker.example/pb"},
        headers=world.auth("webmaster"),
    )
    endpoint_id = created.json()["id"]
    now = datetime.now(UTC)
    for url in BYPASSES:
        await PostbackDelivery.insert(
            PostbackDelivery(
                network=world.network_id,
                endpoint=endpoint_id,
                conversion=0,
                event_id=str(uuid.uuid4()),
                event="approved",
                url=url,
                next_attempt_at=now,
            )
        )
    await delivery.deliver_due(now, limit=len(BYPASSES), network_id=world.network_id)
    attempts = await PostbackAttempt.select(PostbackAttempt.http_status, PostbackAttempt.error).where(
        PostbackAttempt.network == world.network_id
    )
    # None reached a receiver. After 20 failures in a row (the network's default) the endpoint is paused with
    # a reason the webmaster sees, and the rest wait, paused, for a replay.
    assert len(attempts) == 20
    assert all(a["http_status"] is None and a["error"] for a in attempts), attempts
    states = await PostbackDelivery.select(PostbackDelivery.state).where(
        PostbackDelivery.endpoint == endpoint_id
    )
    assert sorted(r["state"] for r in states) == ["paused"] * (len(BYPASSES) - 20) + ["queued"] * 20
    endpoint = (await client.get("/api/v1/postback-endpoints", headers=world.auth("webmaster"))).json()[0]
    assert endpoint["enabled"] is False and "20 failed deliveries" in endpoint["paused_reason"]
