"""The periodic jobs, as plain async functions. Celery beat schedules them with RabbitMQ; in embedded mode
(`make run`) the web process runs the same functions on the same intervals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from network.conversions import holds, intake
from network.db import database_errors
from network.outgoing.delivery import deliver_due
from network.stopping import Stop

log = logging.getLogger("cpanet.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], Awaitable[Any]]


async def _deliver() -> Any:
    return await deliver_due()


JOBS: tuple[Job, ...] = (
    Job("release_holds", 60.0, holds.release_due),
    Job("recheck_balance_holds", 300.0, holds.recheck_balance_holds),
    Job("attribute_queued_postbacks", 5.0, intake.retry_queued),
    Job("deliver_outgoing_postbacks", 5.0, _deliver),
)


async def run_embedded(jobs: tuple[Job, ...] = JOBS, tick: float = 1.0, stop: Stop | None = None) -> None:
    """Run every job on its interval until ``stop`` is set (checked between jobs). A failing run is logged
    and retried next interval."""
    stop = stop or Stop()
    loop = asyncio.get_running_loop()
    due = {job.name: loop.time() + min(job.every_seconds, 5.0) for job in jobs}
    while not stop.stopping:
        now = loop.time()
        for job in jobs:
            if due[job.name] <= now:
                due[job.name] = now + job.every_seconds
                try:
                    await job.run()
                except database_errors() as exc:
                    log.warning(
                        "job %s: database unavailable (%s); next run in %.0fs",
                        job.name,
                        exc,
                        job.every_seconds,
                    )
        await stop.sleep(tick)
