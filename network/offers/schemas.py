from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from network.types import DbId

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
UrlText = Annotated[str, msgspec.Meta(max_length=2048)]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
Reason = Annotated[str, msgspec.Meta(max_length=1000)]
Host = Annotated[str, msgspec.Meta(min_length=1, max_length=253)]
Hour = Annotated[int, msgspec.Meta(ge=0, le=23)]
Device = Literal["desktop", "mobile", "tablet"]
OperatingSystem = Literal["windows", "macos", "linux", "android", "ios", "other"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Visibility = Literal["public", "approval_required", "private"]
OfferStatus = Literal["draft", "pending", "active", "paused", "archived"]
GoalKind = Literal["CPA", "CPS", "CPL", "CPC"]
CapPeriod = Literal["daily", "monthly", "total"]
CapMetric = Literal["clicks", "conversions", "budget"]
CapScope = Literal["shared", "per_webmaster"]
CapPolicy = Literal["reject", "hold"]
CtctSeconds = Annotated[int, msgspec.Meta(ge=0, le=365 * 86400)]
PromoKind = Literal["banner", "text", "email"]
SubValue = Annotated[str, msgspec.Meta(max_length=255)]
# A cap limit: a whole count for clicks and conversions, a decimal amount (as a string) for budget.
CapLimit = Annotated[str, msgspec.Meta(pattern=r"^\d{1,12}(\.\d{1,4})?$")]


class Schedule(msgspec.Struct, forbid_unknown_fields=True):
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "UTC"
    hours: dict[Weekday, Annotated[list[Hour], msgspec.Meta(max_length=24)]] = {}


class Targeting(msgspec.Struct, forbid_unknown_fields=True):
    countries: Annotated[list[Country], msgspec.Meta(max_length=250)] = []
    devices: Annotated[list[Device], msgspec.Meta(max_length=3)] = []
    os: Annotated[list[OperatingSystem], msgspec.Meta(max_length=6)] = []
    schedule: Schedule | None = None


class GoalIn(msgspec.Struct, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_][a-z0-9_-]{0,63}$")]
    name: Name
    kind: GoalKind = "CPA"


class LandingIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    url_template: UrlText
    deep_link_hosts: Annotated[list[Host], msgspec.Meta(max_length=50)] = []
    is_default: bool = False


class PromoIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: PromoKind
    name: Name
    url: UrlText = ""
    content: Annotated[str, msgspec.Meta(max_length=100_000)] = ""
    width: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None
    height: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None


class CapIn(msgspec.Struct, forbid_unknown_fields=True):
    period: CapPeriod
    metric: CapMetric
    limit: CapLimit
    scope: CapScope = "shared"


class OfferCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    goals: Annotated[list[GoalIn], msgspec.Meta(min_length=1, max_length=50)]
    landings: Annotated[list[LandingIn], msgspec.Meta(min_length=1, max_length=100)]
    description: Annotated[str, msgspec.Meta(max_length=20_000)] = ""
    category: Annotated[str, msgspec.Meta(max_length=64)] = ""
    currency: Currency = "USD"
    visibility: Visibility = "public"
    attribution_window_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    # At a full conversion or budget cap: reject the conversion, or hold it for review.
    cap_policy: CapPolicy = "reject"
    # Click-to-conversion time bounds in seconds (0: none): below_min_ctct / above_max_ctct.
    min_ctct_seconds: CtctSeconds = 0
    max_ctct_seconds: CtctSeconds = 0
    allowed_sources: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=50)
    ] = []
    trafficback_url: UrlText = ""
    targeting: Targeting = msgspec.field(default_factory=Targeting)
    promo_materials: Annotated[list[PromoIn], msgspec.Meta(max_length=200)] = []
    caps: Annotated[list[CapIn], msgspec.Meta(max_length=20)] = []
    # Staff name the advertiser they act for; an advertiser may only leave it unset or name itself.
    advertiser_id: DbId | None = None


class OfferUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    description: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None
    category: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    visibility: Visibility | None = None
    attribution_window_days: Annotated[int, msgspec.Meta(ge=1, le=365)] | None = None
    cap_policy: CapPolicy | None = None
    min_ctct_seconds: CtctSeconds | None = None
    max_ctct_seconds: CtctSeconds | None = None
    allowed_sources: (
        Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=50)] | None
    ) = None
    trafficback_url: UrlText | None = None
    targeting: Targeting | None = None
    goals: Annotated[list[GoalIn], msgspec.Meta(min_length=1, max_length=50)] | None = None
    landings: Annotated[list[LandingIn], msgspec.Meta(min_length=1, max_length=100)] | None = None
    promo_materials: Annotated[list[PromoIn], msgspec.Meta(max_length=200)] | None = None
    caps: Annotated[list[CapIn], msgspec.Meta(max_length=20)] | None = None


class Transition(msgspec.Struct, forbid_unknown_fields=True):
    to: OfferStatus
    reason: Reason = ""


class GoalOut(msgspec.Struct):
    id: int
    key: str
    name: str
    kind: str


class LandingOut(msgspec.Struct):
    id: int
    name: str
    url_template: str
    deep_link_hosts: list[str]
    is_default: bool


class PromoOut(msgspec.Struct):
    id: int
    kind: str
    name: str
    url: str
    content: str
    width: int | None
    height: int | None


class CapOut(msgspec.Struct):
    id: int
    period: str
    metric: str
    scope: str
    limit: str


class OfferOut(msgspec.Struct):
    id: int
    advertiser_id: int
    name: str
    description: str
    category: str
    currency: str
    status: str
    status_reason: str
    visibility: str
    attribution_window_days: int
    cap_policy: str
    min_ctct_seconds: int
    max_ctct_seconds: int
    allowed_sources: list[str]
    trafficback_url: str
    targeting: Targeting
    goals: list[GoalOut]
    landings: list[LandingOut]
    promo_materials: list[PromoOut]
    caps: list[CapOut]
    created_at: datetime
    updated_at: datetime
    # Set for webmasters: their own access state on this offer (none, requested, approved, ...).
    my_access: str | None = None


class OfferSummary(msgspec.Struct):
    id: int
    advertiser_id: int
    name: str
    category: str
    currency: str
    status: str
    visibility: str
    countries: list[str]
    my_access: str | None = None


class AccessRequest(msgspec.Struct, forbid_unknown_fields=True):
    message: Reason = ""


class AccessDecision(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["approve", "decline"]
    reason: Reason = ""


class AccessRevoke(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class Invitation(msgspec.Struct, forbid_unknown_fields=True):
    webmaster_id: DbId
    message: Reason = ""


class AccessOut(msgspec.Struct):
    offer_id: int
    webmaster_id: int
    status: str
    reason: str
    message: str
    updated_at: datetime
