"""Errors in the cabinets: friendly HTML pages instead of problem documents, and service problems (RFC 9457
``DomainError``) turned into messages next to the form field they are about, in the reader's language."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from admin_ui.forms import FormErrors
from admin_ui.i18n import Formatter, Translator, choose_locale
from admin_ui.render import navigation
from admin_ui.session import (
    FORM_COOKIE,
    LANG_COOKIE,
    CsrfError,
    LoginRequiredError,
    UiContext,
    WrongRoleError,
    home_for,
)
from network.errors import DomainError, RateLimitedError

log = logging.getLogger("cpanet.ui")


@dataclass(frozen=True)
class _Known:
    """A service message the cabinets translate: matched by problem slug and the start of its detail."""

    slug: str
    prefix: str
    key: str
    field: str | None = None


# The service messages a form can run into, most specific first. Others fall back to a message per slug.
KNOWN = (
    _Known("unauthenticated", "wrong network, e-mail or password", "err.login_failed", "password"),
    _Known("unauthenticated", "this account is disabled", "err.account_disabled"),
    _Known("forbidden", "this webmaster account is banned", "err.banned"),
    _Known("forbidden", "this advertiser account is banned", "err.banned"),
    _Known("conflict", "an account with this e-mail exists", "err.email_taken", "email"),
    _Known("validation", "unknown referral code", "err.referral_unknown", "referral_code"),
    _Known("not-found", "no network", "err.network_unknown", "network"),
    _Known("conflict", "insufficient funds", "err.insufficient_funds", "amount"),
    _Known("validation", "amount: the smallest withdrawal", "err.min_withdrawal", "amount"),
    _Known("validation", "amount: must be greater than zero", "err.amount_positive", "amount"),
    _Known("validation", "amount: ", "err.amount_invalid", "amount"),
    _Known("validation", "currency: ", "err.currency_invalid", "currency"),
    _Known("validation", "a rejection or reversal needs a reason", "err.reason_required", "comment"),
    _Known("validation", "this moderation action needs a reason", "err.reason_required", "reason"),
    _Known("validation", "a ban needs a reason", "err.reason_required", "reason"),
    _Known("conflict", "the conversion changed meanwhile", "err.changed_meanwhile"),
    _Known("conflict", "the advertiser account must be active", "err.advertiser_not_active"),
    _Known("invalid-transition", "", "err.invalid_transition"),
    _Known("forbidden", "your webmaster account is awaiting approval", "err.pending_webmaster"),
    _Known("conflict", "this offer is not accepting webmasters", "err.offer_closed"),
    _Known("conflict", "you already have access state", "err.already_joined"),
    _Known("conflict", "your access to this offer was revoked", "err.access_revoked"),
    _Known("validation", "the current password is not right", "err.current_password", "current_password"),
    _Known("validation", "the new password is the current one", "err.password_same", "new_password"),
    _Known("validation", "the name cannot be blank", "err.required", "display_name"),
    _Known("conflict", "another account on this network has this e-mail", "err.email_in_use", "email"),
    _Known("rate-limited", "too many attempts with the current password", "err.current_throttled"),
    _Known("not-found", "", "err.not_found"),
)
FALLBACK = {
    "validation": "err.invalid",
    "conflict": "err.conflict",
    "forbidden": "err.forbidden",
    "not-found": "err.not_found",
    "unauthenticated": "err.unauthenticated",
    "rate-limited": "err.rate_limited",
}


def describe(exc: DomainError, t: Translator, fmt: Formatter) -> tuple[str | None, str]:
    """The field a problem is about (if any) and a message in the reader's language."""
    field = exc.extra.get("field")
    for known in KNOWN:
        if exc.slug == known.slug and exc.detail.startswith(known.prefix):
            params: dict[str, str] = {}
            if known.key == "err.insufficient_funds":
                currency = str(exc.extra.get("currency", ""))
                params["available"] = fmt.money(exc.extra.get("available", "0"), currency)
            if known.key == "err.min_withdrawal":
                params["minimum"] = str(exc.extra.get("min_withdrawal", ""))
            if known.key == "err.banned":
                params["reason"] = exc.detail.partition(": ")[2]
            return known.field or field, t(known.key, **params)
    message = t(FALLBACK.get(exc.slug, "err.generic"))
    # An unforeseen service message: the reader gets the translated gist, and the service's own (English)
    # words so that nothing is hidden from them.
    return field, f"{message} ({exc.detail})"


def form_errors(exc: DomainError, ctx: UiContext) -> FormErrors:
    field, message = describe(exc, ctx.t, ctx.fmt)
    if field:
        return FormErrors({field: message}, [])
    return FormErrors({}, [message])


def _context(request: Request[Any, Any, Any]) -> UiContext:
    ctx: UiContext | None = getattr(request.state, "ui", None)
    if ctx is not None:
        return ctx
    # The guard did not get far enough to build one: choose the language from the browser alone.
    locale = choose_locale(
        user_locale=None,
        cookie=request.cookies.get(LANG_COOKIE),
        accept_language=request.headers.get("accept-language", ""),
    )
    return UiContext(
        path=request.url.path,
        locale=locale,
        t=Translator(locale),
        fmt=Formatter(locale),
        csrf_token=request.cookies.get(FORM_COOKIE, ""),
    )


def error_page(
    request: Request[Any, Any, Any],
    status: int,
    title_key: str,
    message: str,
    *,
    home: str | None = None,
    headers: dict[str, str] | None = None,
) -> Template:
    ctx = _context(request)
    if home is None and ctx.principal is not None:
        home = home_for(ctx.principal.role)
    return Template(
        template_name="error.html",
        context={
            "ui": ctx,
            "t": ctx.t,
            "fmt": ctx.fmt,
            "title": ctx.t(title_key),
            "message": message,
            "home": home or "/ui",
            "status": status,
            "nav": navigation(ctx),
            "notice": None,
        },
        status_code=status,
        headers=headers,
    )


def _login_required(request: Request[Any, Any, Any], exc: LoginRequiredError) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/ui"
    return Redirect(path="/ui/login", query_params={"next": target}, status_code=303)


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    ctx = _context(request)
    if isinstance(exc, CsrfError):
        return error_page(request, 403, "page.forbidden", ctx.t("err.csrf"))
    if isinstance(exc, WrongRoleError) and ctx.principal is not None:
        return error_page(
            request,
            403,
            "page.forbidden",
            ctx.t("err.wrong_role", role=ctx.t.label("role", ctx.principal.role.value)),
        )
    _, message = describe(exc, ctx.t, ctx.fmt)
    titles = {401: "page.unauthenticated", 403: "page.forbidden", 404: "page.not_found"}
    headers = None
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(exc.extra.get("retry_after", 60))}
    return error_page(request, exc.status, titles.get(exc.status, "page.error"), message, headers=headers)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    ctx = _context(request)
    if exc.status_code == 404:
        return error_page(request, 404, "page.not_found", ctx.t("err.not_found"))
    if exc.status_code == 413:
        return error_page(request, 413, "page.error", ctx.t("err.too_large"))
    if exc.status_code < 500:
        return error_page(request, exc.status_code, "page.error", ctx.t("err.bad_request"))
    return _internal(request, exc)


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # The trace goes to the log, never to the page.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    ctx = _context(request)
    return error_page(request, 500, "page.error", ctx.t("err.internal"))


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    LoginRequiredError: _login_required,
    DomainError: _domain_error,
    HTTPException: _http_error,
    # Named as well: the app maps it to a problem document, and the most specific class wins.
    ValidationException: _http_error,
    Exception: _internal,
}
