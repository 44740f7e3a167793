"""Moves clicks from the journal to their destination, committing the journal position only after success.

Destinations: RabbitMQ (publisher confirms, persistent messages, many clicks per message) or, in embedded
mode, the database directly. Either way a failure leaves the position where it was and the batch is retried
with backoff: nothing acknowledged with a redirect is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol, TypeVar

import pika
from pika import spec
from pika.adapters.asyncio_connection import AsyncioConnection
from pika.channel import Channel
from pika.exceptions import AMQPConnectionError, AMQPError, NackError, UnroutableError

from network.db import database_errors
from network.messaging.topology import CLICK_CONTENT_TYPE, CLICK_ROUTING_KEY, EVENTS_EXCHANGE, declare
from network.stopping import Stop
from network.tracking.journal import JournalReader, JournalWriter, decode_frames
from network.tracking.storage import store

log = logging.getLogger("cpanet.tracking")
_T = TypeVar("_T")


class Delivery(Protocol):
    async def deliver(self, frames: bytes) -> None: ...

    async def close(self) -> None: ...


class DatabaseDelivery:
    """Embedded mode: the batch goes straight into the clicks table (idempotent on click_id)."""

    async def deliver(self, frames: bytes) -> None:
        await store(decode_frames(frames))

    async def close(self) -> None:
        return None


def _resolve(future: asyncio.Future[_T], value: _T) -> None:
    if not future.done():
        future.set_result(value)


class AmqpDelivery:
    """Publishes on the event loop with pika's asyncio adapter: persistent messages, mandatory, publisher
    confirms, one message in flight.

    No thread of its own. pika's blocking adapter in a worker thread (the earlier design) runs about 0.7 ms
    of Python per publish while holding the GIL; on a loaded machine the operating system can preempt that
    thread while it holds it, and every 302 then waits until it is scheduled again (the tail of the click
    latency, docs/benchmarks/clicks.md). Here the same protocol work happens in short callbacks between
    requests. A message counts as delivered only when the broker confirmed it (basic.ack, and no basic.return
    for it); a nack, a return, a closed channel or connection or no confirm within ``confirm_timeout``
    raises an AMQPError, and the forwarder retries the same batch (at least once; storage ignores repeats).
    """

    def __init__(self, url: str, *, confirm_timeout: float = 30.0, connect_timeout: float = 10.0) -> None:
        self.url = url
        self.confirm_timeout = confirm_timeout
        self.connect_timeout = connect_timeout
        self._connection: AsyncioConnection | None = None
        self._channel: Channel | None = None
        self._waiting: set[asyncio.Future[Any]] = set()
        self._returned = False
        self._confirm: asyncio.Future[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._closed: asyncio.Future[None] | None = None  # resolved when the current connection has closed
        self._properties = pika.BasicProperties(content_type=CLICK_CONTENT_TYPE, delivery_mode=2)

    async def _wait(self, future: asyncio.Future[_T], seconds: float, what: str) -> _T:
        self._waiting.add(future)
        try:
            async with asyncio.timeout(seconds):
                return await future
        except TimeoutError:
            raise AMQPConnectionError(f"no {what} from the broker within {seconds:g} s") from None
        finally:
            self._waiting.discard(future)

    def _lost(self, reason: BaseException) -> None:
        """The connection or the channel closed: whatever waits on the broker fails, and the next delivery
        connects again."""
        self._channel = None
        if self._connection is not None and (self._connection.is_closed or self._connection.is_closing):
            self._connection = None
        error = reason if isinstance(reason, AMQPError) else AMQPConnectionError(str(reason))
        for future in list(self._waiting):
            if not future.done():
                future.set_exception(error)

    def _on_return(self, _channel: Channel, *_: Any) -> None:
        self._returned = True  # unroutable: basic.return comes before the basic.ack of the same message

    def _on_confirm(self, frame: Any) -> None:
        future = self._confirm
        if future is None or future.done():
            return
        if isinstance(frame.method, spec.Basic.Ack) and not self._returned:
            future.set_result(None)
        elif isinstance(frame.method, spec.Basic.Ack):
            future.set_exception(UnroutableError([]))
        else:
            future.set_exception(NackError([]))

    async def _connect(self) -> Channel:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self._drop()
        loop = asyncio.get_running_loop()
        params = pika.URLParameters(self.url)
        params.connection_attempts = 1
        params.socket_timeout = 5
        opened: asyncio.Future[None] = loop.create_future()

        def on_open(_connection: Any) -> None:
            if not opened.done():
                opened.set_result(None)

        def on_open_error(_connection: Any, exc: BaseException | str) -> None:
            if not opened.done():
                opened.set_exception(exc if isinstance(exc, AMQPError) else AMQPConnectionError(str(exc)))

        def on_close(closing: Any, exc: BaseException) -> None:
            if not closed.done():
                closed.set_result(None)
            # A connection dropped earlier may finish closing after a new one was opened: not ours any more.
            if self._connection is closing:
                self._lost(exc)

        def on_channel_close(_channel: Any, exc: BaseException) -> None:
            if self._connection is connection:
                self._lost(exc)

        connection = AsyncioConnection(params, on_open, on_open_error, on_close, custom_ioloop=loop)
        self._connection = connection
        closed: asyncio.Future[None] = loop.create_future()
        self._closed = closed
        try:
            await self._wait(opened, self.connect_timeout, "connection")
            channel_open: asyncio.Future[Channel] = loop.create_future()
            connection.channel(on_open_callback=lambda ch: _resolve(channel_open, ch))
            channel = await self._wait(channel_open, self.connect_timeout, "channel")
            channel.add_on_close_callback(on_channel_close)
            channel.add_on_return_callback(self._on_return)
            # Without callbacks these are sent nowait, in order before confirm.select: a declaration the
            # broker refuses closes the channel, and the wait below fails.
            declare(channel)
            selected: asyncio.Future[None] = loop.create_future()
            channel.confirm_delivery(self._on_confirm, callback=lambda _frame: _resolve(selected, None))
            await self._wait(selected, self.connect_timeout, "confirm.select-ok")
        except BaseException:
            self._drop()
            raise
        self._channel = channel
        return channel

    def _drop(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and not (connection.is_closed or connection.is_closing):
            try:
                connection.close()
            except AMQPError:
                log.debug("closing a broken AMQP connection failed", exc_info=True)

    async def deliver(self, frames: bytes) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one message in flight: a confirm always belongs to the message just sent
            channel = await self._connect()
            self._returned = False
            self._confirm = asyncio.get_running_loop().create_future()
            try:
                channel.basic_publish(
                    EVENTS_EXCHANGE, CLICK_ROUTING_KEY, frames, self._properties, mandatory=True
                )
                await self._wait(self._confirm, self.confirm_timeout, "publisher confirm")
            except AMQPError:
                self._drop()
                raise
            finally:
                self._confirm = None

    async def close(self) -> None:
        connection, closed = self._connection, self._closed
        self._drop()
        if connection is not None and closed is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await closed


def transient_errors() -> tuple[type[BaseException], ...]:
    return (AMQPError, *database_errors())


class Forwarder:
    def __init__(
        self,
        writer: JournalWriter,
        delivery: Delivery,
        *,
        batch_size: int = 1000,
        idle: float = 0.1,
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

        After a batch that was not full the next read waits ``idle`` seconds, so clicks leave in batches of
        about rate x idle (hundreds at thousands of clicks a second) instead of a few per broker round trip:
        the per-message work (the publish and its confirm here, the broker's log write, the consumer's
        transaction) is paid once per batch. The 302s do not wait for it: every click is in the journal
        before its redirect. The interval fsync keeps its own clock (``fsync_every``)."""
        stop = stop or Stop()
        backoff = 0.1
        loop = asyncio.get_running_loop()
        next_read = next_sync = 0.0
        interval = self.writer.fsync == "interval"
        while not stop.stopping:
            if loop.time() >= next_read:
                try:
                    sent = await self.forward_batch()
                    backoff = 0.1
                except transient_errors() as exc:
                    log.warning(
                        "click delivery failed (%s); retrying in %.1fs, the journal keeps the clicks",
                        exc,
                        backoff,
                    )
                    next_read = loop.time() + backoff
                    backoff = min(backoff * 2, 5.0)
                else:
                    next_read = loop.time() + (0.0 if sent >= self.batch_size else self.idle)
            if interval and loop.time() >= next_sync:
                # In a thread: an fsync can take hundreds of milliseconds on a busy disk, and clicks are
                # answered on this loop (os.fsync releases the GIL).
                await asyncio.to_thread(self.writer.sync)
                next_sync = loop.time() + self.fsync_every
            wake = min(next_read, next_sync) if interval else next_read
            delay = wake - loop.time()
            if delay > 0:
                await stop.sleep(delay)
