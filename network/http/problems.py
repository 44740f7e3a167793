"""RFC 9457 problem details for every error, mapped once at the edge."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from network.errors import PROBLEM_BASE, DomainError, RateLimitedError

log = logging.getLogger("cpanet.http")
PROBLEM_MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation", "Invalid input"),
    429: ("rate-limited", "Too many requests"),
}


def problem_body(
    *, instance: str, status: int, slug: str, title: str, detail: str, **extra: Any
) -> dict[str, Any]:
    """The members of a problem document (also written by the raw ASGI handlers, network/http/raw.py)."""
    return {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def problem(
    request: Request[Any, Any, Any],
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body = problem_body(
        instance=request.url.path, status=status, slug=slug, title=title, detail=detail, **extra
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def domain_problem(exc: DomainError, instance: str) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The problem document of a domain error, and its extra headers (Retry-After when rate limited)."""
    headers = (
        {"Retry-After": str(exc.extra.get("retry_after", 60))} if isinstance(exc, RateLimitedError) else None
    )
    extra = {k: v for k, v in exc.extra.items() if k != "retry_after"}
    body = problem_body(
        instance=instance, status=exc.status, slug=exc.slug, title=exc.title, detail=exc.detail, **extra
    )
    return body, headers


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    body, headers = domain_problem(exc, request.url.path)
    return Response(body, status_code=exc.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _clean_errors(extra: Any) -> list[dict[str, Any]]:
    errors = []
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, dict):
            errors.append(
                {
                    "message": str(item.get("message", ""))[:500],
                    "key": item.get("key"),
                    "source": item.get("source"),
                }
            )
    return errors


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors = _clean_errors(exc.extra)
    first = errors[0]["message"] if errors else str(exc.detail)
    return problem(
        request,
        status=400,
        slug="malformed-request",
        title="Malformed request",
        detail=first[:500] or "the request could not be read",
        errors=errors,
    )


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    slug, title = _TITLES.get(exc.status_code, ("http-error", "HTTP error"))
    detail = str(exc.detail) if exc.detail else title
    if isinstance(exc.__cause__, SerializationException):
        slug, title = "malformed-request", "Malformed request"
        detail = f"the request body is not valid JSON: {detail}"
    return problem(
        request, status=exc.status_code, slug=slug, title=title, detail=detail[:500], headers=exc.headers
    )


def too_deep_handler(request: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    # Raised while decoding pathologically nested JSON (a rule 10,000 levels deep): the input is at fault.
    return problem(
        request,
        status=400,
        slug="too-deep",
        title="Request nested too deeply",
        detail="the request body is nested too deeply to read; rules may be at most 64 levels deep",
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # The trace goes to the log, never to the user.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        slug="internal",
        title="Internal error",
        detail="something went wrong on our side; the error was logged",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    RecursionError: too_deep_handler,
    Exception: internal_error_handler,
}
