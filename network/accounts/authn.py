"""Authentication: API keys, browser sessions and log-in. Every check fails closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from network.accounts import repository as repo
from network.accounts.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, LoginIn
from network.accounts.security import (
    PasswordHashing,
    constant_time_equal,
    new_api_key,
    new_token,
    sha256_hex,
    split_api_key,
)
from network.audit import service as audit
from network.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from network.errors import ValidationError as DomainValidationError
from network.principal import Principal, Role
from network.tenants import repository as tenants
from network.transaction import atomic

# A fixed hash to verify against when the e-mail is unknown, so that log-in takes the same time either way.
_DUMMY_PASSWORD = "not-a-real-password-but-same-cost"  # noqa: S105


@dataclass(frozen=True)
class SessionGrant:
    token: str
    csrf_token: str
    expires_at: datetime
    principal: Principal


def _now() -> datetime:
    return datetime.now(UTC)


async def _principal(user: dict[str, Any], **extra: int) -> Principal:
    """Build the principal, refusing inactive users and banned profiles."""
    tenant_id = int(user["network"])
    if not user["is_active"]:
        raise AuthenticationError("this account is disabled")
    if user["advertiser"]:
        adv = await repo.advertiser(tenant_id=tenant_id, advertiser_id=user["advertiser"])
        if adv is None or adv["status"] == "banned":
            raise PermissionDeniedError(
                "this advertiser account is banned" + (f": {adv['status_reason']}" if adv else "")
            )
    if user["webmaster"]:
        wm = await repo.webmaster(tenant_id=tenant_id, webmaster_id=user["webmaster"])
        if wm is None or wm["status"] == "banned":
            raise PermissionDeniedError(
                "this webmaster account is banned" + (f": {wm['status_reason']}" if wm else "")
            )
    return Principal(
        network_id=tenant_id,
        user_id=int(user["id"]),
        role=Role(user["role"]),
        advertiser_id=user["advertiser"],
        webmaster_id=user["webmaster"],
        **extra,
    )


async def authenticate_api_key(plaintext: str) -> tuple[Principal, int]:
    """Return the principal and the key's rate limit per minute."""
    parts = split_api_key(plaintext)
    if parts is None:
        raise AuthenticationError("malformed API key")
    prefix, secret = parts
    key = await repo.api_key_by_prefix(prefix)
    if key is None or not constant_time_equal(key["secret_hash"], sha256_hex(secret)):
        raise AuthenticationError("invalid API key")
    if key["revoked_at"] is not None:
        raise AuthenticationError("this API key was revoked")
    user = await repo.user(tenant_id=key["network"], user_id=key["user"])
    if user is None:
        raise AuthenticationError("invalid API key")
    principal = await _principal(user, api_key_id=int(key["id"]))
    return principal, int(key["rate_limit_per_minute"])


async def authenticate_session(token: str) -> tuple[Principal, str]:
    """Return the principal and the session's CSRF token."""
    row = await repo.session_by_token_hash(sha256_hex(token))
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= _now():
        raise AuthenticationError("session expired; please log in again")
    user = await repo.user(tenant_id=row["network"], user_id=row["user"])
    if user is None:
        raise AuthenticationError("session expired; please log in again")
    return await _principal(user, session_id=int(row["id"])), str(row["csrf_token"])


async def login(data: LoginIn, hasher: PasswordHashing, ttl_hours: int) -> SessionGrant:
    network = await tenants.by_slug(data.network)
    user = None
    if network is not None:
        user = await repo.user_by_email(tenant_id=int(network["id"]), email=data.email.strip().lower())
    if user is None:
        hasher.verify(hasher.hash(_DUMMY_PASSWORD), data.password)
        raise AuthenticationError("wrong network, e-mail or password")
    if not hasher.verify(user["password_hash"], data.password):
        raise AuthenticationError("wrong network, e-mail or password")
    principal = await _principal(user)
    token, csrf = new_token(), new_token()
    expires = _now() + timedelta(hours=ttl_hours)
    session_id = await repo.insert_session(
        tenant_id=principal.network_id,
        user_id=principal.user_id,
        token_hash=sha256_hex(token),
        csrf_token=csrf,
        expires_at=expires,
    )
    principal = Principal(**{**principal.__dict__, "session_id": session_id})
    return SessionGrant(token=token, csrf_token=csrf, expires_at=expires, principal=principal)


async def logout(principal: Principal) -> None:
    if principal.session_id is not None:
        await repo.revoke_session(tenant_id=principal.network_id, session_id=principal.session_id, at=_now())


def key_out(row: dict[str, Any]) -> ApiKeyOut:
    return ApiKeyOut(
        id=row["id"],
        user_id=row["user"],
        name=row["name"],
        prefix=row["prefix"],
        rate_limit_per_minute=row["rate_limit_per_minute"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
        revoked_reason=row["revoked_reason"],
    )


async def create_api_key(principal: Principal, data: ApiKeyCreate, default_rate_limit: int) -> ApiKeyCreated:
    new = new_api_key()
    rate = data.rate_limit_per_minute or default_rate_limit
    async with atomic():
        key_id = await repo.insert_api_key(
            tenant_id=principal.network_id,
            user_id=principal.user_id,
            name=data.name,
            prefix=new.prefix,
            secret_hash=new.secret_hash,
            rate_limit=rate,
        )
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="api_key",
            entity_id=key_id,
            action="api_key.created",
            after={"name": data.name, "prefix": new.prefix, "rate_limit_per_minute": rate},
        )
    row = await repo.api_key(tenant_id=principal.network_id, key_id=key_id)
    assert row is not None
    return ApiKeyCreated(key=key_out(row), secret=new.plaintext)


async def list_api_keys(principal: Principal, *, everyone: bool) -> list[ApiKeyOut]:
    if everyone and principal.role != Role.NETWORK_ADMIN:
        raise PermissionDeniedError("only a network admin can list every user's keys")
    rows = await repo.api_keys(
        tenant_id=principal.network_id, user_id=None if everyone else principal.user_id
    )
    return [key_out(r) for r in rows]


async def revoke_api_key(principal: Principal, key_id: int, reason: str = "") -> ApiKeyOut:
    """Revoke a key at once. One's own key needs no reason; a network admin revoking another user's key
    must give one, which the owner reads next to the key and the audit log keeps."""
    reason = reason.strip()
    async with atomic():
        row = await repo.api_key(tenant_id=principal.network_id, key_id=key_id)
        # Someone else's key is "not found", not "forbidden": its existence is not the caller's business.
        if row is None or (row["user"] != principal.user_id and principal.role != Role.NETWORK_ADMIN):
            raise NotFoundError("API key not found")
        if row["revoked_at"] is None:
            if row["user"] != principal.user_id and not reason:
                raise DomainValidationError("revoking another user's API key needs a reason", field="reason")
            at = _now()
            await repo.revoke_api_key(tenant_id=principal.network_id, key_id=key_id, at=at, reason=reason)
            await audit.record(
                network_id=principal.network_id,
                actor=principal,
                entity="api_key",
                entity_id=key_id,
                action="api_key.revoked",
                before={"revoked_at": None},
                after={"revoked_at": at.isoformat(), "user_id": int(row["user"])},
                reason=reason,
            )
    row = await repo.api_key(tenant_id=principal.network_id, key_id=key_id)
    assert row is not None
    return key_out(row)
