from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from network.types import DbId

Status = Literal["pending", "hold", "approved", "rejected", "reversed"]
GoalKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_][a-z0-9_-]{0,63}$")]


class EndpointIn(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2048)]
    offer_id: DbId | None = None
    statuses: Annotated[list[Status], msgspec.Meta(max_length=5)] = []
    goals: Annotated[list[GoalKey], msgspec.Meta(max_length=50)] = []


class EndpointUpdate(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2048)] | None = None
    statuses: Annotated[list[Status], msgspec.Meta(max_length=5)] | None = None
    goals: Annotated[list[GoalKey], msgspec.Meta(max_length=50)] | None = None
    enabled: bool | None = None


class EndpointOut(msgspec.Struct):
    id: int
    webmaster_id: int
    offer_id: int | None
    url: str
    statuses: list[str]
    goals: list[str]
    enabled: bool
    paused_reason: str
    consecutive_failures: int
    created_at: datetime
    # The signing secret: shown at creation only.
    secret: str | None = None


class AttemptOut(msgspec.Struct):
    attempt: int
    at: datetime
    http_status: int | None
    latency_ms: int
    response_snippet: str
    error: str


class DeliveryOut(msgspec.Struct):
    id: int
    endpoint_id: int
    conversion_id: int
    event_id: str
    event: str
    url: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_http_status: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptOut] = []
