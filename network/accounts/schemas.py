from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from network.types import DbId

Email = Annotated[
    str, msgspec.Meta(max_length=254, pattern=r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,188}\.[A-Za-z]{2,24}$")
]
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=256)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Reason = Annotated[str, msgspec.Meta(max_length=1000)]
RoleName = Literal["network_admin", "staff", "advertiser", "webmaster"]
ProfileStatus = Literal["pending", "active", "banned"]
Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
GroupKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_][a-z0-9_-]{0,63}$")]
TrafficSource = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# The languages the cabinets and the e-mails speak (admin_ui/locales); the first is the default.
SUPPORTED_LOCALES = ("en", "ru")
LocaleCode = Literal["en", "ru"]


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    network: Slug
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class LoginOut(msgspec.Struct):
    user_id: int
    role: str
    csrf_token: str
    expires_at: datetime


class SignupIn(msgspec.Struct, forbid_unknown_fields=True):
    network: Slug
    email: Email
    password: Password
    name: Name
    referral_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    traffic_sources: Annotated[list[TrafficSource], msgspec.Meta(max_length=20)] = []


class SignupOut(msgspec.Struct):
    user_id: int
    webmaster_id: int
    status: str
    referred_by: int | None


class MeOut(msgspec.Struct):
    user_id: int
    network_id: int
    role: str
    email: str
    display_name: str
    advertiser_id: int | None
    webmaster_id: int | None
    profile_status: str | None
    profile_status_reason: str | None
    referral_code: str | None
    groups: list[str]
    locale: str = "en"


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """``PATCH /api/v1/me``: the fields given change, the others stay."""

    display_name: Name | None = None
    locale: LocaleCode | None = None


class EmailChange(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    new_password: Password


class PasswordChanged(msgspec.Struct):
    """The user's other sessions were logged out; the one that made the change (if any) and the API keys
    stay."""

    sessions_revoked: int
    reset_links_revoked: int


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    role: RoleName
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    advertiser_id: DbId | None = None
    webmaster_id: DbId | None = None
    profile_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class UserOut(msgspec.Struct):
    id: int
    email: str
    role: str
    display_name: str
    advertiser_id: int | None
    webmaster_id: int | None
    is_active: bool
    created_at: datetime


class AdvertiserOut(msgspec.Struct):
    id: int
    name: str
    company: str
    status: str
    status_reason: str
    created_at: datetime


class WebmasterOut(msgspec.Struct):
    id: int
    name: str
    status: str
    status_reason: str
    referral_code: str
    referred_by: int | None
    traffic_sources: list[str]
    created_at: datetime


class EarnedOut(msgspec.Struct):
    currency: str
    amount: str  # decimal, in the currency's minor units' precision


class ReferralOut(WebmasterOut):
    """A referred webmaster, with the commissions their conversions earned the referrer so far (net of
    rejections and reversals), per currency."""

    earned: list[EarnedOut] = []


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    status: ProfileStatus
    reason: Reason = ""


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    rate_limit_per_minute: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None


class ApiKeyOut(msgspec.Struct):
    id: int
    user_id: int
    name: str
    prefix: str
    rate_limit_per_minute: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    revoked_reason: str = ""


class ApiKeyCreated(msgspec.Struct):
    key: ApiKeyOut
    secret: str
    notice: str = "Store this key now: cpanet keeps only a hash of it and cannot show it again."


class GroupCreate(msgspec.Struct, forbid_unknown_fields=True):
    key: GroupKey
    name: Name


class GroupOut(msgspec.Struct):
    id: int
    key: str
    name: str
    members: list[int]


class PasswordResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    network: Slug
    email: Email


class PasswordResetRequested(msgspec.Struct):
    status: Literal["accepted"]
    detail: str


class PasswordResetConfirm(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    password: Password


class PasswordResetDone(msgspec.Struct):
    network: str
    email: str
    sessions_revoked: int
