"""Moves clicks from the journal to their destination, committing the journal position only after success.

Destinations: RabbitMQ (publisher confirms, persistent messages, many clicks per message) or, in embedded
mode, the database directly. Either way a failure leaves the position where it was and the batch is retried
with backoff: nothing acknowledged with a redirect is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import pika
from pika.exceptions import AMQPError

from network.db import database_errors
from network.messaging.topology import CLICK_CONTENT_TYPE, CLICK_ROUTING_KEY, EVENTS_EXCHANGE, declare
from network.stopping import Stop
from network.tracking.journal import JournalReader, JournalWriter, decode_frames
from network.tracking.storage import store

log = logging.getLogger("cpanet.tracking")


class Delivery(Protocol):
    async def deliver(self, frames: bytes) -> None: ...

    async def close(self) -> None: ...


class DatabaseDelivery:
    """Embedded mode: the batch goes straight into the clicks table (idempotent on click_id)."""

    async def deliver(self, frames: bytes) -> None:
        await store(decode_frames(frames))

    async def close(self) -> None:
        return None


class AmqpDelivery:
    """One pika connection, used from one dedicated thread (pika's blocking adapter is not thread-safe)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpanet-amqp")
        self._connection: pika.BlockingConnection | None = None
        self._channel: pika.adapters.blocking_connection.BlockingChannel | None = None

    def _connect(self) -> pika.adapters.blocking_connection.BlockingChannel:
        if self._channel is None or not self._channel.is_open:
            self._drop()
            params = pika.URLParameters(self.url)
            params.connection_attempts = 1
            params.socket_timeout = 5
            self._connection = pika.BlockingConnection(params)
            channel = self._connection.channel()
            declare(channel)
            channel.confirm_delivery()
            self._channel = channel
        return self._channel

    def _drop(self) -> None:
        if self._connection is not None and self._connection.is_open:
            try:
                self._connection.close()
            except AMQPError:
                log.debug("closing a broken AMQP connection failed", exc_info=True)
        self._connection = self._channel = None

    def _publish(self, frames: bytes) -> None:
        try:
            # With confirms on, basic_publish returns only once the broker has the message (raises on nack or
            # when unroutable, thanks to mandatory=True).
            self._connect().basic_publish(
                exchange=EVENTS_EXCHANGE,
                routing_key=CLICK_ROUTING_KEY,
                body=frames,
                properties=pika.BasicProperties(content_type=CLICK_CONTENT_TYPE, delivery_mode=2),
                mandatory=True,
            )
        except AMQPError:
            self._drop()
            raise

    async def deliver(self, frames: bytes) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._publish, frames)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._drop)
        self._executor.shutdown(wait=True)


def transient_errors() -> tuple[type[BaseException], ...]:
    return (AMQPError, *database_errors())


class Forwarder:
    def __init__(
        self,
        writer: JournalWriter,
        delivery: Delivery,
        *,
        batch_size: int = 1000,
        idle: float = 0.02,
        fsync_every: float = 0.05,
    ) -> None:
        self.writer = writer
        self.reader = JournalReader(writer.directory)
        self.delivery = delivery
        self.batch_size = batch_size
        self.idle = idle
        self.fsync_every = fsync_every

    async def forward_batch(self) -> int:
        """Deliver one batch (at most ``batch_size`` clicks) from the journal; return how many went out."""
        frames, count, after = self.reader.read(self.batch_size, self.writer.segment)
        if count:
            await self.delivery.deliver(frames)
            self.reader.commit(after)
        return count

    async def drain(self) -> int:
        """Deliver everything in the journal now; return how many clicks went out."""
        sent = 0
        while count := await self.forward_batch():
            sent += count
        return sent

    async def run(self, stop: Stop | None = None) -> None:
        """Deliver until ``stop`` is set (checked between batches, never inside one).

        After a batch that was not full the loop waits ``idle`` seconds before reading again, so clicks
        leave in batches of about rate x idle (a few hundred at thousands of clicks a second) instead of a
        few per broker round trip: the per-batch work (a publish and its confirm, the commit) is paid once
        per batch, in this process and in the consumer. The 302s do not wait for it: every click is in the
        journal before its redirect."""
        stop = stop or Stop()
        backoff = 0.1
        last_sync = 0.0
        loop = asyncio.get_running_loop()
        while not stop.stopping:
            try:
                sent = await self.forward_batch()
                backoff = 0.1
            except transient_errors() as exc:
                log.warning(
                    "click delivery failed (%s); retrying in %.1fs, the journal keeps the clicks",
                    exc,
                    backoff,
                )
                await stop.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if self.writer.fsync == "interval" and loop.time() - last_sync >= self.fsync_every:
                # In a thread: an fsync can take hundreds of milliseconds on a busy disk, and clicks are
                # answered on this loop (os.fsync releases the GIL).
                await asyncio.to_thread(self.writer.sync)
                last_sync = loop.time()
            if sent < self.batch_size:
                await stop.sleep(self.idle)
