"""Turning a conversion's status change into outgoing postbacks: one delivery row per matching endpoint,
written in the conversion's transaction (an outbox), delivered later by the Celery task."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from network import jsoncol
from network.conversions import cache
from network.money import from_minor
from network.outgoing import macros
from network.outgoing.tables import PostbackDelivery, PostbackEndpoint

Row = dict[str, Any]
# What the webmaster's tracker is told. "reversed" is the retraction postback.
EVENT_STATUS = {
    "pending": "pending",
    "hold": "hold",
    "approved": "approved",
    "rejected": "rejected",
    "reversed": "reversed",
}


def values(conversion: Row, event: str, event_id: str) -> dict[str, str]:
    currency = conversion["currency"]
    out = {
        "click_id": conversion["click_id"],
        "transaction_id": conversion["click_id"],
        "payout": str(from_minor(int(conversion["payout"]), currency)),
        "sale_amount": ""
        if conversion["sale_amount"] is None
        else str(from_minor(int(conversion["sale_amount"]), currency)),
        "currency": currency,
        "status": EVENT_STATUS.get(event, event),
        "goal": conversion["goal"],
        "offer_id": str(conversion["offer"]),
        "order_id": conversion["order_id"],
        "geo": conversion["country"],
        "ip": conversion["ip"],
        "conversion_id": str(conversion["id"]),
        "event_id": event_id,
        "reason": conversion["reason"],
    }
    for i in range(1, 6):
        out[f"sub{i}"] = conversion[f"sub{i}"]
    return out


def matches(endpoint: Row, conversion: Row, event: str) -> bool:
    if endpoint["offer"] is not None and int(endpoint["offer"]) != int(conversion["offer"]):
        return False
    statuses = jsoncol.load(endpoint["statuses"]) or []
    goals = jsoncol.load(endpoint["goals"]) or []
    if statuses and event not in statuses:
        return False
    return not (goals and conversion["goal"] not in goals)


@dataclass(frozen=True, slots=True)
class Planned:
    """One delivery row to write."""

    endpoint: int
    event_id: str
    event: str
    url: str
    state: str


async def plan(conversion: Row, *, event: str, previous: str | None) -> list[Planned]:
    """The deliveries this event queues (rendered, not written): one per matching endpoint; a reversal is
    always sent to endpoints that got the approval."""
    tenant_id, webmaster_id = int(conversion["network"]), int(conversion["webmaster"])

    async def load() -> list[Row]:
        rows: list[Row] = await PostbackEndpoint.select().where(
            (PostbackEndpoint.network == tenant_id) & (PostbackEndpoint.webmaster == webmaster_id)
        )
        return rows

    # Cached on the postback path (conversions/cache.py); an endpoint's change empties the cache.
    endpoints = await cache.cached("endpoints", (tenant_id, webmaster_id), load)
    planned = []
    for endpoint in endpoints:
        if not matches(endpoint, conversion, event) and not (event == "reversed" and previous == "approved"):
            continue
        event_id = str(uuid.uuid4())
        planned.append(
            Planned(
                endpoint=int(endpoint["id"]),
                event_id=event_id,
                event=event,
                url=macros.render(endpoint["url"], values(conversion, event, event_id))[:4096],
                state="paused" if not endpoint["enabled"] else "queued",
            )
        )
    return planned


async def for_conversion(conversion: Row, *, event: str, previous: str | None) -> int:
    """Queue deliveries for this event; returns how many. Nothing for a conversion that was never billable
    (the webmaster was never told about it); a reversal is always sent to endpoints that got the approval."""
    planned = await plan(conversion, event=event, previous=previous)
    for p in planned:
        await PostbackDelivery.insert(
            PostbackDelivery(
                network=conversion["network"],
                endpoint=p.endpoint,
                conversion=conversion["id"],
                event_id=p.event_id,
                event=p.event,
                url=p.url,
                state=p.state,
            )
        )
    return len(planned)
