"""`cpanet worker clicks`: store click batches from RabbitMQ, acknowledging each message only after commit.

A message that cannot be stored (the database is down) is returned to the queue and retried with backoff,
so an outage delays clicks but loses none. Storage is idempotent on click_id, so redelivery is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pika
from piccolo.engine.postgres import PostgresEngine
from pika.exceptions import AMQPConnectionError, AMQPError

from network.db import bind_tables, build_engine, database_errors, start, stop
from network.messaging.topology import CLICKS_QUEUE, declare
from network.settings import Settings
from network.tracking import partitions
from network.tracking.journal import decode_frames
from network.tracking.storage import store

log = logging.getLogger("cpanet.tracking")


class ClickConsumer:
    def __init__(self, settings: Settings, *, prefetch: int = 16) -> None:
        if settings.broker.is_embedded:
            raise ValueError("set CPANET_AMQP_URL: in embedded mode the click node stores clicks itself")
        self.settings = settings
        self.prefetch = prefetch
        self.stored = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        loop = asyncio.new_event_loop()
        engine = build_engine(self.settings.database)
        bind_tables(engine)
        loop.run_until_complete(start(engine, self.settings.database))
        if isinstance(engine, PostgresEngine):
            try:
                loop.run_until_complete(partitions.maintain(engine))
            except database_errors() as exc:
                # Not fatal: every batch creates the partitions it needs before it is stored.
                log.warning("click consumer: cannot create the partitions ahead (%s)", exc)
        backoff = 0.2
        try:
            while not self.stopping.is_set():
                try:
                    self._consume(loop)
                    backoff = 0.2
                except AMQPConnectionError as exc:
                    log.warning("click consumer: broker unavailable (%s); retrying in %.1fs", exc, backoff)
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            loop.run_until_complete(stop(engine))
            loop.close()

    def _consume(self, loop: asyncio.AbstractEventLoop) -> None:
        params = pika.URLParameters(self.settings.broker.amqp_url)
        params.connection_attempts = 1
        connection = pika.BlockingConnection(params)
        try:
            channel = connection.channel()
            declare(channel)
            channel.basic_qos(prefetch_count=self.prefetch)
            for method, _properties, body in channel.consume(CLICKS_QUEUE, inactivity_timeout=0.5):
                if self.stopping.is_set():
                    break
                if method is None:
                    continue
                try:
                    events = decode_frames(body)
                    loop.run_until_complete(store(events))
                except database_errors() as exc:
                    log.warning("click consumer: cannot store a batch (%s); it goes back to the queue", exc)
                    channel.basic_nack(method.delivery_tag, requeue=True)
                    time.sleep(0.5)
                    continue
                channel.basic_ack(method.delivery_tag)
                self.stored += len(events)
            channel.cancel()
        except AMQPError as exc:
            if isinstance(exc, AMQPConnectionError):
                raise
            log.warning("click consumer: channel error %s; reconnecting", exc)
        finally:
            if connection.is_open:
                try:
                    connection.close()
                except AMQPError:
                    log.debug("closing the consumer connection failed", exc_info=True)
