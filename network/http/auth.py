"""Authentication middleware (API key or browser session), per-key rate limits, CSRF, and the role guard."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Method, Scopes

from network.accounts import authn
from network.accounts.security import constant_time_equal
from network.errors import AuthenticationError, PermissionDeniedError, RateLimitedError
from network.principal import Principal, Role

SESSION_COOKIE = "cpanet_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per API key, refilled continuously at the key's per-minute rate.

    Kept in process memory: each API process enforces the limit on its own (docs/api.md says so).
    """

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: dict[int, _Bucket] = {}
        self._max_keys = max_keys

    def check(self, key_id: int, limit: int, now: float | None = None, *, window: float = 60.0) -> float:
        """Take a token from a bucket of ``limit`` that refills ``limit`` per ``window`` seconds (a minute
        unless told); return 0.0 if allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key_id)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()
            bucket = self._buckets[key_id] = _Bucket(float(limit), now)
        rate = limit / window
        bucket.tokens = min(float(limit), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate


class AuthMiddleware(AbstractAuthenticationMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        exclude: str | list[str] | None = None,
        exclude_from_auth_key: str = "exclude_from_auth",
        exclude_http_methods: list[Method] | None = None,
        scopes: Scopes | None = None,
    ) -> None:
        super().__init__(app, exclude, exclude_from_auth_key, exclude_http_methods, scopes)

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        api_key = connection.headers.get("x-api-key")
        if header.lower().startswith("bearer "):
            api_key = header[7:].strip()
        if api_key:
            principal, per_minute = await authn.authenticate_api_key(api_key)
            limiter: RateLimiter = connection.app.state.rate_limiter
            wait = limiter.check(principal.api_key_id or 0, per_minute)
            if wait > 0:
                raise RateLimitedError(
                    f"this API key is limited to {per_minute} requests per minute", retry_after=int(wait) + 1
                )
            return AuthenticationResult(user=principal, auth="api_key")
        token = connection.cookies.get(SESSION_COOKIE)
        if token:
            principal, csrf = await authn.authenticate_session(token)
            if connection.scope.get("method", "GET") not in SAFE_METHODS:
                sent = connection.headers.get(CSRF_HEADER, "")
                if not sent or not constant_time_equal(sent, csrf):
                    raise PermissionDeniedError("missing or wrong CSRF token (send the X-CSRF-Token header)")
            return AuthenticationResult(user=principal, auth="session")
        raise AuthenticationError("send an API key (Authorization: Bearer cpn_...) or log in")


def roles(*allowed: Role) -> dict[str, Any]:
    """Route ``opt`` naming the roles that may call it."""
    return {"roles": frozenset(allowed)}


async def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The route's ``roles`` against the principal. Async on purpose: litestar runs a synchronous guard in a
    thread pool, on every request (it was a fifth of the click path's CPU)."""
    allowed: Iterable[Role] | None = handler.opt.get("roles")
    if allowed is None or handler.opt.get("exclude_from_auth"):
        return
    principal = connection.user
    if not isinstance(principal, Principal) or principal.role not in allowed:
        raise PermissionDeniedError("your role cannot use this endpoint")


def principal_dependency(request: Request[Any, Any, Any]) -> Principal:
    user = request.user
    if not isinstance(user, Principal):
        raise AuthenticationError("authentication required")
    return user
