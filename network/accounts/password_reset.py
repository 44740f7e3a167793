"""Password reset links, for the cabinets and the API alike.

A link carries a random 32-byte token (``secrets.token_urlsafe``); only its SHA-256 is stored. It works once,
for ``CPANET_PASSWORD_RESET_TTL_SECONDS``; a newer link or a completed reset revokes the user's other open
links, and a completed reset revokes every open session of the user (API keys are left as they are: they
are separate credentials, listed and revoked on their own).

Asking for a link answers the same whatever the e-mail (no account enumeration) and is rate limited per
client address and per network + e-mail. With mail configured the link is e-mailed, in the user's language,
after the answer has gone out. Without mail (the demo), asking records the request in the audit log and
staff hand out links instead (``issue_link``): the link is shown once to the staff member.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from network.accounts import repository as repo
from network.accounts.schemas import PasswordResetDone
from network.accounts.security import PasswordHashing, new_token, sha256_hex
from network.audit import service as audit
from network.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ResetLinkError,
)
from network.errors import ValidationError as DomainValidationError
from network.http.auth import RateLimiter
from network.mail import Mail, Outbox
from network.principal import STAFF_ROLES, Principal, Role
from network.settings import Settings
from network.tenants import repository as tenants
from network.transaction import atomic

# Requests for a link: per network + e-mail, and per client address, each per hour (token buckets that
# refill continuously). Attempts to use a link: per client address per minute, as for log-in.
REQUESTS_PER_EMAIL_PER_HOUR = 5
REQUESTS_PER_IP_PER_HOUR = 20
CONFIRMS_PER_IP_PER_MINUTE = 30
CURRENT_PASSWORD_PER_15_MIN = 10  # per user: changing one's e-mail or password
PASSWORD_MIN, PASSWORD_MAX = 10, 256  # as sign-up (schemas.Password)

NEUTRAL_ANSWER = (
    "if an account with this e-mail exists on this network, a link to choose a new password is on its way"
)
RESET_PATH = "/ui/reset/"


def _bucket(kind: str, value: str) -> int:
    return int.from_bytes(hashlib.sha256(f"reset-{kind}:{value}".encode()).digest()[:8], "big") >> 1


class ResetThrottle:
    """network/http/auth.py's token buckets, kept per process like the log-in limits."""

    def __init__(self) -> None:
        self._limiter = RateLimiter()

    def _take(self, key: int, limit: int, window: float, what: str = "password reset attempts") -> None:
        wait = self._limiter.check(key, limit, window=window)
        if wait > 0:
            raise RateLimitedError(f"too many {what}; try again later", retry_after=int(wait) + 1)

    def request(self, ip: str, network: str, email: str) -> None:
        self._take(_bucket("ip", ip), REQUESTS_PER_IP_PER_HOUR, 3600.0)
        self._take(_bucket("email", f"{network}:{email}"), REQUESTS_PER_EMAIL_PER_HOUR, 3600.0)

    def confirm(self, ip: str) -> None:
        self._take(_bucket("confirm", ip), CONFIRMS_PER_IP_PER_MINUTE, 60.0)

    def current_password(self, network_id: int, user_id: int) -> None:
        """A logged-in user typing their current password to change their e-mail or password: a stolen
        session must not become a way to guess it (network/accounts/profile.py)."""
        self._take(
            _bucket("current", f"{network_id}:{user_id}"),
            CURRENT_PASSWORD_PER_15_MIN,
            900.0,
            "attempts with the current password",
        )


@dataclass
class PasswordResets:
    """What the use cases need from the outside: the link's lifetime and base address, and the outbox."""

    ttl_seconds: int
    base_url: str
    outbox: Outbox
    throttle: ResetThrottle = field(default_factory=ResetThrottle)

    @classmethod
    def from_settings(cls, settings: Settings, outbox: Outbox) -> PasswordResets:
        return cls(settings.security.password_reset_ttl_seconds, settings.http.public_base_url, outbox)

    @property
    def mails_links(self) -> bool:
        return self.outbox.configured

    def link(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}{RESET_PATH}{token}"


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: datetime
    user_id: int
    email: str


def _now() -> datetime:
    return datetime.now(UTC)


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def _as_principal(user: dict[str, Any]) -> Principal:
    """The user as the audit log's actor (no ban check: a reset is not a log-in)."""
    return Principal(
        network_id=int(user["network"]),
        user_id=int(user["id"]),
        role=Role(user["role"]),
        advertiser_id=user["advertiser"],
        webmaster_id=user["webmaster"],
    )


# The e-mail in each language of the cabinets (User.locale); English for any other.
MAIL_TEXT: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).parent / "reset_mail.json").read_text(encoding="utf-8")
)


def reset_mail(user: dict[str, Any], network_name: str, link: str, expires_at: datetime) -> Mail:
    text = MAIL_TEXT.get(str(user["locale"]), MAIL_TEXT["en"])
    values = {
        "network": network_name,
        "name": user["display_name"] or user["email"],
        "email": user["email"],
        "expires": expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        "link": link,
    }
    subject, body = text["subject"].format_map(values), text["body"].format_map(values)
    return Mail(to=str(user["email"]), subject=subject, text=body)


async def _issue(
    resets: PasswordResets, user: dict[str, Any], *, ip: str, issued_by: Principal | None
) -> tuple[str, datetime, int]:
    """A new link for the user, revoking their open ones, with its audit row (in the caller's transaction)."""
    tenant_id, user_id = int(user["network"]), int(user["id"])
    token = new_token()
    at = _now()
    expires_at = at + timedelta(seconds=resets.ttl_seconds)
    revoked = await repo.revoke_password_resets(tenant_id=tenant_id, user_id=user_id, at=at)
    reset_id = await repo.insert_password_reset(
        tenant_id=tenant_id,
        user_id=user_id,
        token_hash=sha256_hex(token),
        expires_at=expires_at,
        requested_ip=ip[:45],
        issued_by=issued_by.user_id if issued_by else None,
    )
    await audit.record(
        network_id=tenant_id,
        actor=issued_by or _as_principal(user),
        entity="user",
        entity_id=user_id,
        action="password_reset.link_issued" if issued_by else "password_reset.requested",
        after={
            "reset_id": reset_id,
            "delivery": "shown_to_staff" if issued_by else "email",
            "expires_at": expires_at.isoformat(),
            "earlier_links_revoked": revoked,
            "requested_ip": ip[:45],
        },
    )
    return token, expires_at, reset_id


async def request(resets: PasswordResets, *, network: str, email: str, ip: str) -> str:
    """Ask for a link by e-mail. The answer is the same whether or not the account exists; only the rate
    limit (which counts unknown e-mails alike) can refuse."""
    email = _normalise_email(email)
    resets.throttle.request(ip, network, email)
    tenant = await tenants.by_slug(network)
    user = None
    if tenant is not None:
        user = await repo.user_by_email(tenant_id=int(tenant["id"]), email=email)
    if tenant is None or user is None:
        return NEUTRAL_ANSWER
    if not resets.mails_links:
        # No link is made: nobody could read it, and it would revoke a link staff handed out meanwhile.
        await audit.record(
            network_id=int(tenant["id"]),
            actor=_as_principal(user),
            entity="user",
            entity_id=int(user["id"]),
            action="password_reset.requested",
            after={"delivery": "none_mail_not_configured", "requested_ip": ip[:45]},
        )
        return NEUTRAL_ANSWER
    async with atomic():
        token, expires_at, _ = await _issue(resets, user, ip=ip, issued_by=None)
    # Posted after commit; sent after the answer.
    resets.outbox.post(reset_mail(user, str(tenant["name"]), resets.link(token), expires_at))
    return NEUTRAL_ANSWER


async def issue_link(resets: PasswordResets, principal: Principal, user_id: int, *, ip: str) -> IssuedLink:
    """Staff hand a user a link when no mail is configured. Staff may do so for advertisers and webmasters;
    only a network admin for staff and admins."""
    if principal.role not in STAFF_ROLES:
        raise PermissionDeniedError("only staff can issue password reset links")
    if resets.mails_links:
        raise ConflictError("e-mail is configured: the user can ask for a reset link on the log-in page")
    user = await repo.user(tenant_id=principal.network_id, user_id=user_id)
    if user is None:
        raise NotFoundError("user not found")
    if Role(user["role"]) in STAFF_ROLES and principal.role is not Role.NETWORK_ADMIN:
        raise PermissionDeniedError("only a network admin can issue a reset link for staff or admin users")
    async with atomic():
        token, expires_at, _ = await _issue(resets, user, ip=ip, issued_by=principal)
    return IssuedLink(resets.link(token), expires_at, user_id, str(user["email"]))


def _refusal(row: dict[str, Any] | None, at: datetime) -> ResetLinkError | None:
    if row is None:
        return ResetLinkError("this password reset link is not valid", reason="invalid")
    if row["used_at"] is not None:
        return ResetLinkError("this password reset link was already used", reason="used")
    if row["revoked_at"] is not None:
        return ResetLinkError(
            "this password reset link was replaced by a newer one or by a completed reset", reason="invalid"
        )
    if row["expires_at"] <= at:
        return ResetLinkError("this password reset link has expired; ask for a new one", reason="expired")
    return None


async def check(token: str) -> None:
    """Raise ``ResetLinkError`` unless the link can be used now (opening the page does not use it)."""
    refusal = _refusal(await repo.password_reset_by_token_hash(sha256_hex(token)), _now())
    if refusal is not None:
        raise refusal


async def confirm(
    resets: PasswordResets, hasher: PasswordHashing, *, token: str, password: str, ip: str
) -> PasswordResetDone:
    """Set a new password with a link: the link is used up, the user's other links and every open session
    are revoked."""
    resets.throttle.confirm(ip)
    token_hash = sha256_hex(token)
    row = await repo.password_reset_by_token_hash(token_hash)
    refusal = _refusal(row, _now())
    if refusal is not None:
        raise refusal
    assert row is not None
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise DomainValidationError(
            f"the password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long", field="password"
        )
    tenant_id, user_id = int(row["network"]), int(row["user"])
    password_hash = hasher.hash(password)  # the slow part, outside the transaction
    async with atomic():
        at = _now()
        if not await repo.use_password_reset(tenant_id=tenant_id, reset_id=int(row["id"]), at=at):
            # Used, revoked or expired since it was read.
            raise _refusal(await repo.password_reset_by_token_hash(token_hash), at) or ResetLinkError(
                "this password reset link is not valid", reason="invalid"
            )
        user = await repo.user(tenant_id=tenant_id, user_id=user_id)
        if user is None:
            raise ResetLinkError("this password reset link is not valid", reason="invalid")
        await repo.set_password_hash(tenant_id=tenant_id, user_id=user_id, password_hash=password_hash)
        revoked_links = await repo.revoke_password_resets(tenant_id=tenant_id, user_id=user_id, at=at)
        sessions = await repo.revoke_user_sessions(tenant_id=tenant_id, user_id=user_id, at=at)
        await audit.record(
            network_id=tenant_id,
            actor=_as_principal(user),
            entity="user",
            entity_id=user_id,
            action="password_reset.completed",
            after={
                "reset_id": int(row["id"]),
                "issued_by": row["issued_by"],
                "sessions_revoked": sessions,
                "other_links_revoked": revoked_links,
                "ip": ip[:45],
            },
        )
        tenant = await tenants.get(tenant_id=tenant_id)
    assert tenant is not None
    return PasswordResetDone(network=str(tenant["slug"]), email=str(user["email"]), sessions_revoked=sessions)
