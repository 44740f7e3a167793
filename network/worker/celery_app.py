"""The Celery application: `celery -A network.worker.celery_app worker --beat` (docs/operations.md).

Each task runs one job from network.worker.jobs in the worker process's own event loop and database engine.
Jobs are idempotent (conditional transitions, unique ledger keys, delivery state), so a task that runs twice,
or on two workers, does no harm.
"""

from __future__ import annotations

import asyncio
from typing import Any

from celery import Celery

from network.db import bind_tables, build_engine, start
from network.outgoing import delivery
from network.settings import load_settings
from network.worker.jobs import JOBS

settings = load_settings()
app = Celery("cpanet", broker=settings.broker.amqp_url if not settings.broker.is_embedded else "memory://")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    timezone="UTC",
    enable_utc=True,
    beat_schedule={job.name: {"task": f"cpanet.{job.name}", "schedule": job.every_seconds} for job in JOBS},
)
_loop: asyncio.AbstractEventLoop | None = None


def _run(job_name: str) -> Any:
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
        delivery.configure(settings.broker.outbound_allowlist)
        engine = build_engine(settings.database)
        bind_tables(engine)
        _loop.run_until_complete(start(engine, settings.database))
    job = next(j for j in JOBS if j.name == job_name)
    return _loop.run_until_complete(job.run())


def _register(job_name: str) -> None:
    def task() -> Any:
        return _run(job_name)

    task.__name__ = task.__qualname__ = job_name
    app.task(name=f"cpanet.{job_name}", ignore_result=True)(task)


for _job in JOBS:
    _register(_job.name)
