from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

ListKind = Literal["ip", "sub", "referrer_domain", "webmaster"]
ListAction = Literal["block", "allow"]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class ListEntryCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: ListKind
    action: ListAction
    value: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    reason: Reason


class ListEntryRemove(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class ListEntryOut(msgspec.Struct):
    id: int
    kind: str
    action: str
    value: str
    reason: str
    created_by: int
    created_at: datetime
    removed_at: datetime | None
    removed_by: int | None
    removed_reason: str
