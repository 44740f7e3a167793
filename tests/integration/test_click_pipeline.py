"""The click pipeline under faults, with the real services: nothing acknowledged with a 302 is lost, and
nothing is stored twice. Every test leaves RabbitMQ and PostgreSQL running, whatever happens."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pika
import pytest
from litestar.testing import AsyncTestClient

from network.app import create_app
from network.messaging.topology import CLICKS_QUEUE, declare
from network.settings import Settings
from network.tracking.consumer import ClickConsumer
from network.tracking.tables import Click
from tests.conftest import ROOT
from tests.support.services import AMQP_URL, REQUIRE_SERVICES, need
from tests.support.world import World, build_world

pytestmark = pytest.mark.services
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
DEAD_BROKER = "amqp://guest:guest@127.0.0.1:1/%2F"


def _purge() -> None:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    declare(channel)
    channel.queue_purge(CLICKS_QUEUE)
    connection.close()


@pytest.fixture
def broker() -> Iterator[str]:
    need("RabbitMQ", AMQP_URL, 5672)
    _purge()
    yield AMQP_URL


@pytest.fixture
def amqp(settings: Settings, broker: str) -> Settings:
    """The test settings, with clicks going through the real broker."""
    return replace(settings, broker=replace(settings.broker, amqp_url=broker))


@pytest.fixture
def consumer(amqp: Settings) -> Iterator[ClickConsumer]:
    worker = ClickConsumer(amqp)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield worker
    worker.stopping.set()
    thread.join(timeout=10)


async def _count(network_id: int) -> int:
    return int(await Click.count().where(Click.network == network_id))


async def _wait_for(network_id: int, expected: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    count = await _count(network_id)
    while count < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        count = await _count(network_id)
    return count


def _link(world: World, i: int) -> tuple[str, dict[str, str]]:
    headers = {
        "host": f"t-{world.tag}.example",
        "user-agent": UA,
        "x-country": "US",
        "x-forwarded-for": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
    }
    return f"/c/{world.offers['public']}?wm={world.webmaster_id}&sub1=n{i}", headers


async def test_clicks_travel_through_rabbitmq_exactly_once(amqp: Settings, consumer: ClickConsumer) -> None:
    async with AsyncTestClient(app=create_app(amqp)) as client:
        world = await build_world(client)
        await client.app.state.click_registry.refresh()
        ids = set()
        for i in range(300):
            path, headers = _link(world, i)
            response = await client.get(path, headers=headers, follow_redirects=False)
            assert response.status_code == 302
            ids.add(response.headers["x-click-id"])
        assert await _wait_for(world.network_id, 300) == 300
        stored = await Click.select(Click.click_id).where(Click.network == world.network_id)
        assert {r["click_id"] for r in stored} == ids


async def test_rabbitmq_restart_in_the_middle_of_the_load(amqp: Settings, consumer: ClickConsumer) -> None:
    async with AsyncTestClient(app=create_app(amqp)) as client:
        world = await build_world(client)
        await client.app.state.click_registry.refresh()
        codes = []
        try:
            for i in range(400):
                if i == 150:
                    await asyncio.to_thread(
                        subprocess.run, ["rabbitmqctl", "-q", "stop_app"], check=True, capture_output=True
                    )
                if i == 300:
                    await asyncio.to_thread(
                        subprocess.run, ["rabbitmqctl", "-q", "start_app"], check=True, capture_output=True
                    )
                path, headers = _link(world, i)
                codes.append((await client.get(path, headers=headers, follow_redirects=False)).status_code)
        finally:
            subprocess.run(["rabbitmqctl", "-q", "start_app"], check=False, capture_output=True)
            subprocess.run(["rabbitmqctl", "-q", "await_startup"], check=False, capture_output=True)
        assert codes == [302] * 400
        assert await _wait_for(world.network_id, 400, timeout=60) == 400
        await asyncio.sleep(1.0)  # a late redelivery would show up here as a duplicate
        assert await _count(world.network_id) == 400


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`cpanet serve` in its own process, on 127.0.0.1 only."""

    def __init__(self, database_url: str, spool: Path, amqp_url: str) -> None:
        self.port = _free_port()
        self.env = {
            **os.environ,
            "CPANET_DATABASE_URL": database_url,
            "CPANET_PORT": str(self.port),
            "CPANET_SPOOL_DIR": str(spool),
            "CPANET_NODE_ID": "fault-node",
            "CPANET_AMQP_URL": amqp_url,
            "CPANET_TRUST_PROXY_HEADERS": "1",
            "CPANET_DATABASE_POOL_MAX": "0",
            "CPANET_CLICK_PRELOAD": "0",
            "CPANET_FRAUD_DUPLICATE_SLOTS": "4096",
            "CPANET_FRAUD_IP_SLOTS": "4096",
            "CPANET_FRAUD_SUB_SLOTS": "1024",
            "CPANET_FRAUD_UA_CACHE": "1024",
        }
        self.http = httpx.Client(timeout=5)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "network.cli", "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the click server did not start")

    def click(self, world: World, i: int) -> httpx.Response:
        path, headers = _link(world, i)
        return self.http.get(f"http://127.0.0.1:{self.port}{path}", headers=headers)

    def kill(self) -> None:
        self.http.close()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


async def test_sigkill_after_n_redirects_loses_none(
    client: Any, world: World, database_url: str, tmp_path: Path
) -> None:
    # The broker is unreachable, so every click stays in the journal; then the node dies with SIGKILL.
    server = Server(database_url, tmp_path / "spool", DEAD_BROKER)
    try:
        ids = []
        for i in range(500):
            response = await asyncio.to_thread(server.click, world, i)
            assert response.status_code == 302
            ids.append(response.headers["x-click-id"])
    finally:
        server.kill()
    assert await _count(world.network_id) == 0
    # Restarted (embedded this time, same journal), the node delivers the backlog.
    restarted = Server(database_url, tmp_path / "spool", "embedded")
    try:
        assert await _wait_for(world.network_id, 500) == 500
        stored = await Click.select(Click.click_id).where(Click.network == world.network_id)
        assert sorted(r["click_id"] for r in stored) == sorted(ids)
    finally:
        restarted.stop()


def _postgres(action: str) -> None:
    version = os.listdir("/etc/postgresql")[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_down_for_1000_clicks(
    client: Any, world: World, database_url: str, broker: str, tmp_path: Path
) -> None:
    if not os.path.isdir("/etc/postgresql") or os.geteuid() != 0:
        reason = "this fault test stops and starts the local PostgreSQL cluster (pg_ctlcluster, as root)"
        if REQUIRE_SERVICES:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server = Server(database_url, tmp_path / "spool", broker)
    worker = subprocess.Popen(
        [sys.executable, "-m", "network.cli", "worker", "clicks"],
        cwd=ROOT,
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The node is serving before the outage (its snapshot is in memory), as a production node would be.
        assert (await asyncio.to_thread(server.click, world, 1000)).status_code == 302
        _postgres("stop")
        try:
            responses = [await asyncio.to_thread(server.click, world, i) for i in range(1000)]
            codes = [r.status_code for r in responses]
            assert codes[0] == 302, responses[0].text
        finally:
            _postgres("start")
        assert codes == [302] * 1000
        assert await _wait_for(world.network_id, 1001, timeout=60) == 1001
        await asyncio.sleep(1.0)
        assert await _count(world.network_id) == 1001
    finally:
        worker.terminate()
        worker.wait(timeout=15)
        server.stop()
