"""The periodic jobs through a real Celery worker and RabbitMQ: a held conversion whose hold has ended is
approved by the `cpanet.release_holds` task, exactly once, and beat schedules every job."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from celery import Celery

from network.conversions.tables import Conversion, ConversionEvent
from network.terms import service as terms
from network.worker.jobs import JOBS
from tests.support.client import Client
from tests.support.conversions import click, credential, fund, postback
from tests.support.services import AMQP_URL, need
from tests.support.world import World, terms_payload

ROOT = Path(__file__).resolve().parents[2]


def test_beat_schedules_every_job() -> None:
    from network.worker.celery_app import app

    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {f"cpanet.{job.name}" for job in JOBS}
    assert schedule["release_holds"]["schedule"] == 60.0
    assert {f"cpanet.{job.name}" for job in JOBS} <= set(app.tasks)


async def test_worker_releases_an_ended_hold_once(client: Client, world: World, database_url: str) -> None:
    need("RabbitMQ", AMQP_URL, 5672)
    await fund(world, "100.00")
    await terms.publish(
        world.principals["advertiser"],
        world.offers["public"],
        terms_payload(payout=10, revenue=15, hold_days=1),
    )
    token = (await credential(client, world))["token"]
    body = (await postback(client, token, click_id=await click(client, world), order_id="celery-1")).json()
    assert body["status"] == "hold"
    # The hold ended an hour ago (test setup: the conversion was made "25 hours ago").
    await Conversion.update({Conversion.hold_until: datetime.now(UTC) - timedelta(hours=1)}).where(
        Conversion.id == body["conversion_id"]
    )
    env = {
        **os.environ,
        "CPANET_DATABASE_URL": database_url,
        "CPANET_AMQP_URL": AMQP_URL,
        "CPANET_DATABASE_POOL_MAX": "2",
    }
    queue = f"cpanet-test-{world.tag}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "network.worker.celery_app",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    sender = Celery(broker=AMQP_URL)
    try:
        for _ in range(2):
            sender.send_task("cpanet.release_holds", queue=queue)
        deadline = time.monotonic() + 60
        status = "hold"
        while time.monotonic() < deadline and status != "approved":
            await asyncio.sleep(0.5)
            row = (
                await Conversion.select(Conversion.status)
                .where(Conversion.id == body["conversion_id"])
                .first()
            )
            status = row["status"] if row else "missing"
        assert status == "approved"
        await asyncio.sleep(2)  # let the second task run too
        approvals = await ConversionEvent.count().where(
            (ConversionEvent.conversion == body["conversion_id"]) & (ConversionEvent.to_status == "approved")
        )
        assert approvals == 1
    finally:
        sender.close()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
