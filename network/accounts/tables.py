from __future__ import annotations

from piccolo.columns import JSON, BigSerial, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from network.tenants.tables import Network


class Advertiser(Table):
    """An advertiser's profile; its status is moderated by staff."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200)
    company = Varchar(length=200, default="")
    status = Varchar(length=16, default="pending")
    status_reason = Varchar(length=1000, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Webmaster(Table):
    """A webmaster's profile. ``referred_by`` records the sign-up chain for multi-level commissions."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200)
    status = Varchar(length=16, default="pending")
    status_reason = Varchar(length=1000, default="")
    referral_code = Varchar(length=32, unique=True)
    referred_by: ForeignKey[Webmaster] = ForeignKey(references="self", on_delete=OnDelete.restrict, null=True)
    traffic_sources = JSON(default="[]")
    created_at = Timestamptz(default=TimestamptzNow())


class User(Table, tablename="app_user"):
    """A login. Role is one of network_admin, staff, advertiser, webmaster."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    email = Varchar(length=254)
    password_hash = Varchar(length=200)
    role = Varchar(length=16)
    display_name = Varchar(length=200, default="")
    advertiser = ForeignKey(references=Advertiser, on_delete=OnDelete.restrict, null=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, null=True)
    locale = Varchar(length=8, default="en")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiKey(Table):
    """An API key: only the prefix (for lookup) and a SHA-256 of the secret are stored."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    prefix = Varchar(length=16, unique=True)
    secret_hash = Varchar(length=64)
    rate_limit_per_minute = Integer(default=600)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    # Why, when someone else (a network admin) revoked it: the key's owner reads it.
    revoked_reason = Varchar(length=1000, default="")
    last_used_at = Timestamptz(null=True, default=None)


class UserSession(Table):
    """A browser session for the cabinets; the cookie carries the token, the table its SHA-256."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.restrict, index=True)
    token_hash = Varchar(length=64, unique=True)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class WebmasterGroup(Table):
    """A segment of webmasters that terms can reference by key (e.g. "vip")."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    key = Varchar(length=64)
    name = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())


class WebmasterGroupMember(Table):
    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    group = ForeignKey(references=WebmasterGroup, on_delete=OnDelete.restrict)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict)


class PasswordReset(Table):
    """A password reset link: only a SHA-256 of its token is stored. Single use; a newer link or a completed
    reset revokes the user's other open links."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.restrict, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    requested_ip = Varchar(length=45, default="")
    # The staff member who issued the link by hand (no mail configured); null when the user asked for it.
    issued_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True)
