"""Delivering outgoing postbacks: signed, pinned to a checked IP, retried with exponential backoff.

Each due delivery is claimed (state ``queued`` -> ``sending`` with a conditional UPDATE, so two workers never
send the same attempt), sent by network.outbound.http in a thread, logged as an attempt, and then either
``delivered``, re-queued with backoff, or a ``dead`` letter after the network's maximum attempts. An
endpoint that fails ``outgoing_pause_after`` times in a row is paused (disabled, with the reason), which the
webmaster sees; its deliveries wait in state ``paused`` and can be replayed.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from network.conversions import policy
from network.outbound.http import DeliveryResult, OutboundRequest, deliver
from network.outbound.ssrf import AllowList
from network.outgoing.tables import PostbackAttempt, PostbackDelivery, PostbackEndpoint
from network.transaction import atomic

Row = dict[str, Any]
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 6 * 3600
BATCH = 100
LEASE = timedelta(minutes=5)
_allow = AllowList()


def configure(allowlist: str) -> None:
    """The SSRF allowlist from settings (CPANET_OUTBOUND_ALLOWLIST); empty in production."""
    global _allow
    _allow = AllowList(allowlist)


def current_allowlist() -> AllowList:
    return _allow


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at 6 h."""
    return timedelta(seconds=min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** max(0, attempts - 1)))


def _send(url: str, event_id: str, secret: str) -> DeliveryResult:
    return deliver(
        OutboundRequest(url=url, event_id=event_id, secret=secret.encode()), allow=_allow, timeout=5.0
    )


async def _claim(row: Row, now: datetime) -> bool:
    """Take a lease on the delivery: a worker that dies mid-send leaves it ``sending`` with a lease that
    expires, and the next run picks it up again (the receiver de-duplicates on the event id)."""
    claimed = (
        await PostbackDelivery.update(
            {PostbackDelivery.state: "sending", PostbackDelivery.next_attempt_at: now + LEASE}
        )
        .where(
            (PostbackDelivery.id == row["id"])
            & (PostbackDelivery.state == row["state"])
            & (PostbackDelivery.attempts == row["attempts"])
        )
        .returning(PostbackDelivery.id)
    )
    return bool(claimed)


async def deliver_one(row: Row, now: datetime) -> str:
    endpoint = await PostbackEndpoint.select().where(PostbackEndpoint.id == row["endpoint"]).first()
    if endpoint is None or not endpoint["enabled"]:
        await PostbackDelivery.update({PostbackDelivery.state: "paused"}).where(
            PostbackDelivery.id == row["id"]
        )
        return "paused"
    result = await asyncio.to_thread(_send, row["url"], row["event_id"], endpoint["secret"])
    finance, _net = await policy.load(int(row["network"]))
    attempt = int(row["attempts"]) + 1
    error = "" if result.ok else (result.error_message or f"HTTP {result.status}")[:500]
    if result.ok:
        state, next_at = "delivered", now
    elif attempt >= finance.outgoing_max_attempts:
        state, next_at = "dead", now
    else:
        state, next_at = "queued", now + backoff(attempt)
    async with atomic():
        await PostbackAttempt.insert(
            PostbackAttempt(
                network=row["network"],
                delivery=row["id"],
                attempt=attempt,
                at=now,
                http_status=result.status,
                latency_ms=int(result.latency_ms),
                response_snippet=result.snippet,
                error=error,
            )
        )
        await PostbackDelivery.update(
            {
                PostbackDelivery.state: state,
                PostbackDelivery.attempts: attempt,
                PostbackDelivery.next_attempt_at: next_at,
                PostbackDelivery.last_http_status: result.status,
                PostbackDelivery.last_error: error,
                PostbackDelivery.delivered_at: now if result.ok else None,
            }
        ).where(PostbackDelivery.id == row["id"])
        failures = 0 if result.ok else int(endpoint["consecutive_failures"]) + 1
        values: dict[Any, Any] = {PostbackEndpoint.consecutive_failures: failures}
        if failures >= finance.outgoing_pause_after:
            values[PostbackEndpoint.enabled] = False
            values[PostbackEndpoint.paused_reason] = (
                f"paused after {failures} failed deliveries in a row (last: {error}); fix the receiver, "
                "enable the endpoint and replay the deliveries"
            )[:500]
        await PostbackEndpoint.update(values).where(PostbackEndpoint.id == endpoint["id"])
    return state


async def deliver_due(
    now: datetime | None = None, limit: int = BATCH, *, network_id: int | None = None
) -> dict[str, int]:
    """Send what is due, oldest first; ``network_id`` limits the run to one network."""
    now = now or datetime.now(UTC)
    where: Any = PostbackDelivery.state.is_in(["queued", "sending"]) & (
        PostbackDelivery.next_attempt_at <= now
    )
    if network_id is not None:
        where &= PostbackDelivery.network == network_id
    rows = (
        await PostbackDelivery.select().where(where).order_by(PostbackDelivery.next_attempt_at).limit(limit)
    )
    counts: dict[str, int] = {}
    started = time.monotonic()
    for row in rows:
        if not await _claim(row, now):
            continue
        state = await deliver_one(row, now)
        counts[state] = counts.get(state, 0) + 1
        if time.monotonic() - started > 50:
            break
    return counts
