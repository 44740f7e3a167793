"""The click event: what the click endpoint hands to the pipeline. Versioned by its routing key."""

from __future__ import annotations

import msgspec

ROUTING_KEY = "tracking.click.created.v1"


class ClickEvent(msgspec.Struct, frozen=True, array_like=True):
    """Compact on the wire (array_like): one event per click, many per message."""

    click_id: str
    network_id: int
    ts: float
    webmaster_id: int
    offer_id: int | None
    landing_id: int | None
    terms_version_id: int | None
    is_trafficback: bool
    reason: str
    valid: bool
    fraud_flags: int
    fraud_score: int
    ip: str
    user_agent: str
    referrer: str
    country: str
    device: str
    os: str
    visitor_id: str
    source: str
    creative_id: str
    subs: tuple[str, ...]
