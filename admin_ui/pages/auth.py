"""Log-in, log-out, webmaster sign-up and the language switch."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, invalid_input, required
from admin_ui.i18n import LOCALES
from admin_ui.pages.params import Code, Locale, Next
from admin_ui.preferences import set_locale
from admin_ui.render import redirect, render
from admin_ui.session import (
    FORM_COOKIE,
    LANG_COOKIE,
    PUBLIC,
    LoginThrottle,
    UiContext,
    access,
    home_for,
    read_form,
    safe_next,
    secure_cookies,
    session_cookie,
)
from network.accounts import authn
from network.accounts import service as accounts
from network.accounts.schemas import LoginIn, SignupIn
from network.errors import AuthenticationError, DomainError, PermissionDeniedError
from network.http.auth import SESSION_COOKIE
from network.http.client import client_ip
from network.http.deps import HasherDep, SettingsDep

UiDep = NamedDependency[UiContext]
ThrottleDep = NamedDependency[LoginThrottle]
AnyRequest = Request[Any, Any, Any]
YEAR = 365 * 24 * 3600


def _lang_cookie(request: AnyRequest, locale: str) -> Cookie:
    return Cookie(
        key=LANG_COOKIE,
        value=locale,
        max_age=YEAR,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


class AuthPages(Controller):
    path = "/"

    @get("/", opt=access(PUBLIC))
    async def index(self, ui: UiDep) -> Redirect:
        """The cabinet's front door: the reader's home page, or the log-in page."""
        if ui.principal is None:
            return redirect("/ui/login")
        return redirect(home_for(ui.principal.role))

    @get("/login", opt=access(PUBLIC))
    async def login_page(
        self, ui: UiDep, next_page: Next = None, done: Code = None, network: Code = None
    ) -> Template | Redirect:
        if ui.principal is not None:
            return redirect(safe_next(next_page, home_for(ui.principal.role)))
        notice = ui.t(f"notice.{done}") if done in {"logged_out", "password_reset"} else None
        return render(
            ui, "login.html", values={"network": network or "", "next": safe_next(next_page)}, notice=notice
        )

    @post("/login", opt=access(PUBLIC), status_code=200)
    async def login(
        self,
        request: AnyRequest,
        ui: UiDep,
        hasher: HasherDep,
        settings: SettingsDep,
        throttle: ThrottleDep,
    ) -> Response[Any]:
        values = await read_form(request, ui)
        shown = {k: values.get(k, "") for k in ("network", "email", "next")}
        errors = required(values, ui, "network", "email", "password")
        if errors:
            return render(ui, "login.html", status_code=422, errors=errors, values=shown)
        wait = throttle.wait(client_ip(request), values["network"], values["email"])
        if wait > 0:
            seconds = int(wait) + 1
            page = render(
                ui,
                "login.html",
                status_code=429,
                errors=FormErrors({}, [ui.t.plural("err.login_throttled", seconds)]),
                values=shown,
            )
            page.headers["Retry-After"] = str(seconds)
            return page
        try:
            data = msgspec.convert({k: values.get(k, "") for k in ("network", "email", "password")}, LoginIn)
        except msgspec.ValidationError:
            # Which part is malformed is the same answer as a wrong password: nothing to learn here.
            errors = FormErrors({"password": ui.t("err.login_failed")}, [])
            return render(ui, "login.html", status_code=401, errors=errors, values=shown)
        try:
            grant = await authn.login(data, hasher, settings.security.session_ttl_hours)
        except (AuthenticationError, PermissionDeniedError) as exc:
            return render(ui, "login.html", status_code=exc.status, errors=form_errors(exc, ui), values=shown)
        chosen = request.cookies.get(LANG_COOKIE)
        if chosen is not None and chosen in LOCALES:
            # The language picked on the log-in page is the user's choice: keep it for next time.
            await set_locale(grant.principal, chosen)
        response = redirect(safe_next(values.get("next"), home_for(grant.principal.role)))
        response.cookies.append(session_cookie(request, grant.token, settings.security.session_ttl_hours))
        response.cookies.append(Cookie(key=FORM_COOKIE, value="", max_age=0, path="/ui"))
        return response

    @post("/logout", opt=access(PUBLIC), status_code=200)
    async def logout(self, request: AnyRequest, ui: UiDep) -> Redirect:
        await read_form(request, ui)
        if ui.principal is not None:
            await authn.logout(ui.principal)
        response = redirect("/ui/login", done="logged_out")
        response.cookies.append(Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/"))
        return response

    @get("/signup", opt=access(PUBLIC))
    async def signup_page(self, ui: UiDep, network: Code = None, ref: Code = None) -> Template:
        return render(ui, "signup.html", values={"network": network or "", "referral_code": ref or ""})

    @post("/signup", opt=access(PUBLIC), status_code=200)
    async def signup(
        self, request: AnyRequest, ui: UiDep, hasher: HasherDep, settings: SettingsDep
    ) -> Response[Any]:
        values = await read_form(request, ui)
        shown = {
            k: values.get(k, "") for k in ("network", "name", "email", "referral_code", "traffic_sources")
        }
        errors = required(values, ui, "network", "name", "email", "password")
        if len(values.get("password", "")) < 10 and "password" not in errors.fields:
            errors.fields["password"] = ui.t("err.password_short")
        if errors:
            return render(ui, "signup.html", status_code=422, errors=errors, values=shown)
        sources = [s.strip() for s in values.get("traffic_sources", "").split(",") if s.strip()]
        try:
            data = msgspec.convert(
                {
                    "network": values["network"],
                    "email": values["email"],
                    "password": values["password"],
                    "name": values["name"],
                    "referral_code": values.get("referral_code") or None,
                    "traffic_sources": sources,
                },
                SignupIn,
            )
        except msgspec.ValidationError as exc:
            return render(ui, "signup.html", status_code=422, errors=invalid_input(exc, ui), values=shown)
        try:
            await accounts.signup_webmaster(data, hasher)
            grant = await authn.login(
                LoginIn(network=data.network, email=data.email, password=data.password),
                hasher,
                settings.security.session_ttl_hours,
            )
        except DomainError as exc:
            return render(
                ui, "signup.html", status_code=exc.status, errors=form_errors(exc, ui), values=shown
            )
        # The page the webmaster signed up on was in their language: keep it.
        await set_locale(grant.principal, ui.locale)
        response = redirect("/ui/wm", done="signed_up")
        response.cookies.append(session_cookie(request, grant.token, settings.security.session_ttl_hours))
        response.cookies.append(Cookie(key=FORM_COOKIE, value="", max_age=0, path="/ui"))
        return response

    @get("/lang/{locale:str}", opt=access(PUBLIC))
    async def switch_language(
        self, request: AnyRequest, ui: UiDep, locale: Locale, next_page: Next = None
    ) -> Redirect:
        """The language switch: a link, so it works without a form; it only changes the reader's own
        preference."""
        target = safe_next(next_page)
        if locale not in LOCALES:
            return redirect(target)
        if ui.principal is not None:
            await set_locale(ui.principal, locale)
        response = redirect(target)
        response.cookies.append(_lang_cookie(request, locale))
        return response
