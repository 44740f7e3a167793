from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from network.types import DbId

Sub = Annotated[str, msgspec.Meta(max_length=255)]


class LinkRequest(msgspec.Struct, forbid_unknown_fields=True):
    landing_id: DbId | None = None
    sub1: Sub | None = None
    sub2: Sub | None = None
    sub3: Sub | None = None
    sub4: Sub | None = None
    sub5: Sub | None = None
    sub6: Sub | None = None
    sub7: Sub | None = None
    sub8: Sub | None = None
    sub9: Sub | None = None
    sub10: Sub | None = None
    source: Annotated[str, msgspec.Meta(max_length=64)] | None = None

    def subs(self) -> dict[int, str]:
        return {i: v for i in range(1, 11) if (v := getattr(self, f"sub{i}"))}


class LinkForm(msgspec.Struct):
    url: str
    # Sub ids this dialect has no parameter for; they are not in its URL.
    dropped: list[str]


class TrackingLinks(msgspec.Struct):
    offer_id: int
    webmaster_id: int
    landing_id: int
    cpanet: LinkForm
    tune: LinkForm
    affise: LinkForm
    cake: LinkForm


# Smartlinks (multi-offer links): docs/clicks.md, "Smartlinks".
SmartlinkStatus = Literal["active", "paused"]
Weight = Annotated[int, msgspec.Meta(ge=1, le=1000)]
SmartlinkName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SmartlinkOfferIn(msgspec.Struct, forbid_unknown_fields=True):
    offer_id: DbId
    weight: Weight


SmartlinkOffers = Annotated[list[SmartlinkOfferIn], msgspec.Meta(min_length=1, max_length=50)]


class SmartlinkCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: SmartlinkName
    offers: SmartlinkOffers
    status: SmartlinkStatus = "active"


class SmartlinkUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: SmartlinkName | None = None
    status: SmartlinkStatus | None = None
    # Replaces the whole list (order and weights) when given.
    offers: SmartlinkOffers | None = None


class SmartlinkOfferOut(msgspec.Struct):
    offer_id: int
    weight: int
    offer_name: str
    offer_status: str


class SmartlinkOut(msgspec.Struct):
    id: int
    name: str
    status: str
    # The owner; None for the network's own smartlinks, which every webmaster may use.
    webmaster_id: int | None
    offers: list[SmartlinkOfferOut]
    # The caller's link (webmasters), or the owner's (staff); None for staff reading a network smartlink,
    # since every webmaster's link carries their own wm.
    tracking_url: str | None
    created_at: datetime
    updated_at: datetime
