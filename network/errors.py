"""Domain errors. Services raise these; create_app maps each once to an RFC 9457 problem."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://cpanet.dev/problems/"


class DomainError(Exception):
    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug


class ValidationError(DomainError):
    status = 422
    slug = "validation"
    title = "Invalid input"


class NotFoundError(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class ConflictError(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class InvalidTransitionError(ConflictError):
    slug = "invalid-transition"
    title = "Status change not allowed"


class AuthenticationError(DomainError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class PermissionDeniedError(DomainError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class RateLimitedError(DomainError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class ResetLinkError(DomainError):
    """A password reset link that cannot be used: ``reason`` is ``expired``, ``used`` or ``invalid`` (unknown,
    or replaced by a newer link)."""

    status = 410
    slug = "reset-link-invalid"
    title = "Password reset link not valid"
