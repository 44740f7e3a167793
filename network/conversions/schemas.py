from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from network.types import DbId

ReasonText = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Cidr = Annotated[str, msgspec.Meta(min_length=2, max_length=49)]
Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{2,64}$")]
LeadKey = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.@+-]{3,128}$")]
Target = Literal["pending", "hold", "approved", "rejected", "reversed"]


class PostbackAnswer(msgspec.Struct, omit_defaults=False):
    """What cpanet decided about a postback, in every case."""

    decision: Literal["accepted", "duplicate", "updated", "rejected", "queued"]
    reason: str | None
    message: str
    conversion_id: int | None = None
    click_id: str | None = None
    offer_id: int | None = None
    goal: str | None = None
    status: str | None = None
    terms_version: int | None = None
    payout: str | None = None
    currency: str | None = None
    hold_until: datetime | None = None
    attribution: str | None = None


class CredentialIn(msgspec.Struct, forbid_unknown_fields=True):
    ip_allowlist: Annotated[list[Cidr], msgspec.Meta(max_length=100)] = []
    hmac: bool = False
    require_hmac: bool = False


class CredentialOut(msgspec.Struct):
    id: int
    advertiser_id: int
    token_prefix: str
    ip_allowlist: list[str]
    require_hmac: bool
    has_hmac_secret: bool
    created_at: datetime
    revoked_at: datetime | None
    # Shown once, at creation.
    token: str | None = None
    hmac_secret: str | None = None


class ConversionEventOut(msgspec.Struct):
    at: datetime
    from_status: str
    to_status: str
    reason: str
    comment: str
    actor_role: str


class CommissionOut(msgspec.Struct):
    webmaster_id: int
    level: int
    amount: str


class ConversionOut(msgspec.Struct):
    id: int
    offer_id: int
    webmaster_id: int
    goal: str
    click_id: str
    click_at: datetime
    attribution: str
    terms_version: int | None
    status: str
    reason: str
    reason_detail: str
    order_id: str
    currency: str
    payout: str
    sale_amount: str | None
    hold_until: datetime | None
    ctct_seconds: int
    billable: bool
    country: str
    sub1: str
    created_at: datetime
    updated_at: datetime
    # Hidden from webmasters.
    revenue: str | None = None
    advertiser_id: int | None = None
    commissions: list[CommissionOut] = []
    history: list[ConversionEventOut] = []


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    to: Target
    reason: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = "manual"
    comment: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class BulkTransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    ids: Annotated[list[DbId], msgspec.Meta(min_length=1, max_length=500)]
    to: Target
    reason: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = "manual"
    comment: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class BulkResultOut(msgspec.Struct):
    id: int
    ok: bool
    status: str | None
    error: str | None


class PostbackLogOut(msgspec.Struct):
    id: int
    advertiser_id: int | None
    received_at: datetime
    dialect: str
    ip: str
    params: dict[str, str]
    decision: str
    reason: str
    message: str
    http_status: int
    click_id: str
    conversion_id: int | None


class CouponIn(msgspec.Struct, forbid_unknown_fields=True):
    webmaster_id: DbId
    code: Code


class CouponOut(msgspec.Struct):
    id: int
    offer_id: int
    webmaster_id: int
    code: str
    created_at: datetime


class LeadIn(msgspec.Struct, forbid_unknown_fields=True):
    lead_key: LeadKey
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class LeadOut(msgspec.Struct):
    id: int
    offer_id: int
    webmaster_id: int
    lead_key: str
    note: str
    created_at: datetime
