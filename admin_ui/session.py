"""Who is looking at a page, in which language, and the checks every page and form goes through.

The cabinets use the API's browser session (``cpanet_session``, network/accounts/authn.py) but not the API's
authentication middleware, which wants the CSRF token in a header that an HTML form cannot send. Instead
``ui_guard`` authenticates the session on every /ui route, enforces the route's ``ui_access`` (fail closed:
a route without one refuses everyone), and forms carry the session's CSRF token in a hidden ``_csrf`` field
that ``read_form`` checks before a handler does anything. Forms shown before log-in (log-in, sign-up) use a
double-submit token: a random cookie echoed in the form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler

from admin_ui.i18n import Formatter, Translator, choose_locale
from network.accounts import authn
from network.accounts import repository as accounts_repo
from network.accounts.security import constant_time_equal, new_token
from network.errors import AuthenticationError, PermissionDeniedError
from network.http.auth import SESSION_COOKIE, RateLimiter
from network.principal import STAFF_ROLES, Principal, Role
from network.settings import Settings
from network.tenants import service as tenants
from network.tenants.schemas import NetworkOut

LANG_COOKIE = "cpanet_lang"
FORM_COOKIE = "cpanet_form"
CSRF_FIELD = "_csrf"
PUBLIC = "public"
# Log-in attempts per minute, as token buckets: per client address, and per network + e-mail.
LOGIN_PER_IP = 30
LOGIN_PER_ACCOUNT = 5

WEBMASTER = frozenset({Role.WEBMASTER})
ADVERTISER = frozenset({Role.ADVERTISER})
STAFF = STAFF_ROLES


def access(roles: Iterable[Role] | str) -> dict[str, Any]:
    """Route ``opt``: who may open the page (``PUBLIC``, or a set of roles)."""
    return {"ui_access": roles if isinstance(roles, str) else frozenset(roles)}


class LoginRequiredError(Exception):
    """No valid session on a page that needs one: the router answers with a redirect to the log-in page."""


class CsrfError(PermissionDeniedError):
    """A form came without the session's CSRF token (or with another one)."""


class WrongRoleError(PermissionDeniedError):
    """The page belongs to another role."""


def home_for(role: Role) -> str:
    if role is Role.WEBMASTER:
        return "/ui/wm"
    if role is Role.ADVERTISER:
        return "/ui/adv"
    return "/ui/staff/moderation"


def safe_next(value: str | None, default: str = "/ui") -> str:
    """Only a path inside the cabinets: never another host (no open redirect)."""
    if not value or "\\" in value or not (value == "/ui" or value.startswith(("/ui/", "/ui?"))):
        return default
    if any(ch in value for ch in "\r\n\t"):
        return default
    return value


@dataclass
class UiContext:
    """Everything a page needs to know about its request; templates get it as ``ui``."""

    path: str
    locale: str
    t: Translator
    fmt: Formatter
    csrf_token: str
    principal: Principal | None = None
    user_name: str = ""
    network: NetworkOut | None = None
    # The log-in state a webmaster's or advertiser's profile is in (pending, active).
    profile_status: str | None = None
    cookies: list[Cookie] = field(default_factory=list)
    # This page's address with its query (GET only): where the language switch comes back to, so a
    # referral link's network and code or a report's filters survive the switch.
    here: str = ""

    @property
    def role(self) -> Role | None:
        return self.principal.role if self.principal else None

    def require(self) -> Principal:
        if self.principal is None:
            raise LoginRequiredError
        return self.principal


def secure_cookies(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    settings: Settings = connection.app.state.settings
    return settings.http.public_base_url.startswith("https://")


def session_cookie(connection: ASGIConnection[Any, Any, Any, Any], token: str, ttl_hours: int) -> Cookie:
    """The same cookie as the API's log-in sets (network/accounts/controllers.py)."""
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(connection),
        max_age=ttl_hours * 3600,
        path="/",
    )


async def _session(token: str, public: bool) -> tuple[Principal | None, str]:
    try:
        return await authn.authenticate_session(token)
    except AuthenticationError:
        return None, ""
    except PermissionDeniedError:
        # A banned account: its pages say why; the log-in page still opens.
        if public:
            return None, ""
        raise


async def ui_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Authenticate, choose the language, and enforce the route's ``ui_access``. Async on purpose (see
    network/http/auth.py role_guard)."""
    allowed = handler.opt.get("ui_access")
    if allowed is None:
        raise PermissionDeniedError("this page declares no access rule")
    public = allowed == PUBLIC
    principal, csrf = None, ""
    token = connection.cookies.get(SESSION_COOKIE)
    if token:
        principal, csrf = await _session(token, public)
    user_locale, user_name, network, status = None, "", None, None
    if principal is not None:
        user = await accounts_repo.user(tenant_id=principal.network_id, user_id=principal.user_id)
        if user is not None:
            user_locale, user_name = str(user["locale"]), str(user["display_name"] or user["email"])
        network = await tenants.get_network(principal)
        if principal.webmaster_id:
            wm = await accounts_repo.webmaster(
                tenant_id=principal.network_id, webmaster_id=principal.webmaster_id
            )
            status = str(wm["status"]) if wm else None
        elif principal.advertiser_id:
            adv = await accounts_repo.advertiser(
                tenant_id=principal.network_id, advertiser_id=principal.advertiser_id
            )
            status = str(adv["status"]) if adv else None
    locale = choose_locale(
        user_locale=user_locale,
        cookie=connection.cookies.get(LANG_COOKIE),
        accept_language=connection.headers.get("accept-language", ""),
    )
    query = connection.url.query if connection.scope.get("method") == "GET" else ""
    ctx = UiContext(
        here=connection.url.path + (f"?{query}" if query else ""),
        path=connection.url.path,
        locale=locale,
        t=Translator(locale),
        fmt=Formatter(locale, ZoneInfo(network.timezone) if network else ZoneInfo("UTC")),
        csrf_token=csrf,
        principal=principal,
        user_name=user_name,
        network=network,
        profile_status=status,
    )
    if principal is None:
        # Forms before log-in: a double-submit token, set now if the browser has none yet.
        ctx.csrf_token = connection.cookies.get(FORM_COOKIE, "")
        if not ctx.csrf_token and connection.scope.get("method") == "GET":
            ctx.csrf_token = new_token()
            ctx.cookies.append(
                Cookie(
                    key=FORM_COOKIE,
                    value=ctx.csrf_token,
                    httponly=True,
                    samesite="strict",
                    secure=secure_cookies(connection),
                    path="/ui",
                )
            )
    connection.state.ui = ctx
    if public:
        return
    if principal is None:
        raise LoginRequiredError
    if principal.role not in allowed:
        raise WrongRoleError(f"this page is not for the {principal.role.value} role")


def ui_context(request: Request[Any, Any, Any]) -> UiContext:
    ctx: UiContext = request.state.ui
    return ctx


async def read_form(request: Request[Any, Any, Any], ctx: UiContext) -> dict[str, str]:
    """The submitted fields, after checking the form's CSRF token against the session's (or the pre-log-in
    cookie's). Nothing is done with a form that fails the check."""
    form = await request.form()
    values = {key: value.strip() for key, value in form.items() if isinstance(value, str)}
    sent = values.pop(CSRF_FIELD, "")
    if not sent or not ctx.csrf_token or not constant_time_equal(sent, ctx.csrf_token):
        raise CsrfError("missing or wrong CSRF token")
    return values


def _bucket(kind: str, value: str) -> int:
    # RateLimiter keys are integers (API key ids); a 63-bit digest keeps address and account buckets apart.
    return int.from_bytes(hashlib.sha256(f"{kind}:{value}".encode()).digest()[:8], "big") >> 1


class LoginThrottle:
    """Log-in attempts per client address and per account, with network/http/auth.py's token buckets."""

    def __init__(self) -> None:
        self._limiter = RateLimiter()

    def wait(self, ip: str, network: str, email: str) -> float:
        """Seconds to wait before trying again; 0.0 means go ahead (and counts the attempt)."""
        by_ip = self._limiter.check(_bucket("ip", ip), LOGIN_PER_IP)
        if by_ip > 0:
            return by_ip
        return self._limiter.check(_bucket("account", f"{network}:{email.lower()}"), LOGIN_PER_ACCOUNT)
