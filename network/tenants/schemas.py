from __future__ import annotations

from typing import Annotated

import msgspec

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
TimeZone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class NetworkOut(msgspec.Struct):
    id: int
    slug: str
    name: str
    tracking_host: str
    timezone: str
    currency: str
    trafficback_url: str


class NetworkUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    tracking_host: Annotated[str, msgspec.Meta(min_length=1, max_length=253)] | None = None
    timezone: TimeZone | None = None
    currency: Currency | None = None
    trafficback_url: Annotated[str, msgspec.Meta(max_length=2048)] | None = None
