"""Where click events go after the redirect. Embedded mode: an in-process buffer and a batch writer.

The RabbitMQ publisher with publisher confirms and the local spool are the next step of the click
pipeline (docs/architecture.md). Until then a crash loses the clicks still in this buffer (at most one
flush interval's worth).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import UTC, datetime
from typing import Any

from network.db import database_errors
from network.tracking.events import ClickEvent
from network.tracking.tables import Click

log = logging.getLogger("cpanet.tracking")


def row(event: ClickEvent) -> dict[str, Any]:
    subs = {f"sub{i + 1}": value for i, value in enumerate(event.subs)}
    return {
        "click_id": event.click_id,
        "network": event.network_id,
        "offer": event.offer_id,
        "webmaster": event.webmaster_id,
        "landing": event.landing_id,
        "terms_version": event.terms_version_id,
        "created_at": datetime.fromtimestamp(event.ts, UTC),
        "is_trafficback": event.is_trafficback,
        "reason": event.reason,
        "valid": event.valid,
        "fraud_flags": event.fraud_flags,
        "fraud_score": event.fraud_score,
        "ip": event.ip,
        "user_agent": event.user_agent[:2000],
        "referrer": event.referrer[:2000],
        "country": event.country,
        "device": event.device,
        "os": event.os,
        "visitor_id": event.visitor_id,
        "source": event.source,
        "creative_id": event.creative_id,
        **subs,
    }


async def store(events: list[ClickEvent]) -> None:
    """Insert a batch; a click id already stored is skipped, so redelivery never duplicates."""
    if events:
        await Click.insert(*[Click(**row(e)) for e in events]).on_conflict(
            target=Click.click_id, action="DO NOTHING"
        )


class EmbeddedClickSink:
    def __init__(self, *, interval: float = 0.2, batch_size: int = 2000) -> None:
        self.interval = interval
        self.batch_size = batch_size
        # A deque: append and popleft are atomic, so put() never races a flush in progress.
        self._buffer: deque[ClickEvent] = deque()

    def put(self, event: ClickEvent) -> None:
        self._buffer.append(event)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    async def flush(self) -> int:
        written = 0
        while self._buffer:
            batch = [self._buffer.popleft() for _ in range(min(self.batch_size, len(self._buffer)))]
            try:
                await store(batch)
            except BaseException:
                # Put the batch back in front, in order, for the next flush: the database may be restarting.
                self._buffer.extendleft(reversed(batch))
                raise
            written += len(batch)
        return written

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except database_errors() as exc:
                log.warning("click writer: %s; %d clicks wait in memory", exc, self.pending)
