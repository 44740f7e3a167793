"""Storing clicks: one batch per call, idempotent on click_id (delivery is at least once)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from network.tracking.events import ClickEvent
from network.tracking.tables import Click


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
