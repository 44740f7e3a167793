"""Every exchange, queue and binding, declared in one place (idempotent: safe on every start)."""

from __future__ import annotations

from typing import Any

EVENTS_EXCHANGE = "cpanet.events"  # topic: routing keys <context>.<entity>.<verb>.v<N>
CLICKS_QUEUE = "cpanet.clicks"
CLICK_ROUTING_KEY = "tracking.click.created.v1"
CLICK_CONTENT_TYPE = "application/x-cpanet-click-frames"


def declare(channel: Any) -> None:
    channel.exchange_declare(exchange=EVENTS_EXCHANGE, exchange_type="topic", durable=True)
    # A quorum queue: replicated when the broker is a cluster, and durable across broker restarts.
    channel.queue_declare(queue=CLICKS_QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(queue=CLICKS_QUEUE, exchange=EVENTS_EXCHANGE, routing_key=CLICK_ROUTING_KEY)
