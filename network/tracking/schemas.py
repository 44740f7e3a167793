from __future__ import annotations

from typing import Annotated

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
