"""Forgotten passwords: asking for a reset link, the neutral answer, and choosing a new password with the
link (network/accounts/password_reset.py, the same service as the API's)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, check_new_password, invalid_input, required
from admin_ui.pages.params import Code
from admin_ui.render import redirect, render
from admin_ui.session import FORM_COOKIE, PUBLIC, UiContext, access, read_form
from network.accounts import password_reset
from network.accounts.schemas import PasswordResetRequest
from network.errors import DomainError, RateLimitedError, ResetLinkError
from network.http.auth import SESSION_COOKIE
from network.http.client import client_ip
from network.http.deps import HasherDep, ResetsDep

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
# A token is 43 URL-safe characters; anything much longer is not one of ours (and gets the same page as an
# unknown one, not a bare 400).
MAX_TOKEN = 128
Token = Annotated[str, PathParameter(max_length=2000)]


def _throttled(ui: UiContext, exc: RateLimitedError, template: str, **data: Any) -> Template:
    seconds = int(exc.extra.get("retry_after", 60))
    page = render(
        ui,
        template,
        status_code=429,
        errors=FormErrors({}, [ui.t.plural("err.login_throttled", seconds)]),
        **data,
    )
    page.headers["Retry-After"] = str(seconds)
    return page


def _gone(ui: UiContext, exc: ResetLinkError) -> Template:
    reason = str(exc.extra.get("reason", "invalid"))
    return render(ui, "reset_gone.html", status_code=exc.status, reason=reason)


def _invalid_link(ui: UiContext) -> Template:
    return _gone(ui, ResetLinkError("this password reset link is not valid", reason="invalid"))


class PasswordResetPages(Controller):
    path = "/"
    opt = access(PUBLIC)

    @get("/forgot")
    async def forgot_page(self, ui: UiDep, resets: ResetsDep, network: Code = None) -> Template:
        return render(ui, "forgot.html", values={"network": network or ""}, mails_links=resets.mails_links)

    @post("/forgot", status_code=200)
    async def forgot(self, request: AnyRequest, ui: UiDep, resets: ResetsDep) -> Response[Any]:
        values = await read_form(request, ui)
        shown = {k: values.get(k, "") for k in ("network", "email")}
        mails = resets.mails_links
        errors = required(values, ui, "network", "email")
        if errors:
            return render(ui, "forgot.html", status_code=422, errors=errors, values=shown, mails_links=mails)
        try:
            data = msgspec.convert(shown, PasswordResetRequest)
        except msgspec.ValidationError as exc:
            errors = invalid_input(exc, ui)
            return render(ui, "forgot.html", status_code=422, errors=errors, values=shown, mails_links=mails)
        try:
            ip = client_ip(request)
            await password_reset.request(resets, network=data.network, email=data.email, ip=ip)
        except RateLimitedError as exc:
            return _throttled(ui, exc, "forgot.html", values=shown, mails_links=mails)
        # The same page whatever the e-mail: only the network's name (which the reader typed) is on it.
        return redirect("/ui/forgot/sent", network=data.network)

    @get("/forgot/sent")
    async def forgot_sent(self, ui: UiDep, resets: ResetsDep, network: Code = None) -> Template:
        return render(
            ui,
            "forgot_sent.html",
            network=network or "",
            mails_links=resets.mails_links,
            minutes=max(1, resets.ttl_seconds // 60),
        )

    @get("/reset/{token:str}")
    async def reset_page(self, ui: UiDep, token: Token) -> Template:
        """The new-password form. Opening it does not use the link (mail scanners open links too)."""
        if len(token) > MAX_TOKEN:
            return _invalid_link(ui)
        try:
            await password_reset.check(token)
        except ResetLinkError as exc:
            return _gone(ui, exc)
        return render(ui, "reset.html", token=token)

    @post("/reset/{token:str}", status_code=200)
    async def reset(
        self, request: AnyRequest, ui: UiDep, resets: ResetsDep, hasher: HasherDep, token: Token
    ) -> Response[Any]:
        values = await read_form(request, ui)
        if len(token) > MAX_TOKEN:
            return _invalid_link(ui)
        errors = required(values, ui, "password", "password2")
        password = values.get("password", "")
        check_new_password(values, ui, errors, "password", "password2", "reset.mismatch")
        if errors:
            try:
                await password_reset.check(token)
            except ResetLinkError as exc:
                return _gone(ui, exc)
            return render(ui, "reset.html", status_code=422, errors=errors, token=token)
        try:
            done = await password_reset.confirm(
                resets, hasher, token=token, password=password, ip=client_ip(request)
            )
        except ResetLinkError as exc:
            return _gone(ui, exc)
        except RateLimitedError as exc:
            return _throttled(ui, exc, "reset.html", token=token)
        except DomainError as exc:
            return render(ui, "reset.html", status_code=exc.status, errors=form_errors(exc, ui), token=token)
        response: Redirect = redirect("/ui/login", network=done.network, done="password_reset")
        # Every session of the user was revoked, this browser's too: drop its cookie as well.
        response.cookies.append(Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/"))
        response.cookies.append(Cookie(key=FORM_COOKIE, value="", max_age=0, path="/ui"))
        return response
