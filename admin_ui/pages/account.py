"""Every user's own account page, ``/ui/account``: name and language, log-in e-mail, password. The same
service as ``/api/v1/me`` (network/accounts/profile.py); a problem is shown next to the form it is about."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, check_new_password, invalid_input, required
from admin_ui.pages.params import Code
from admin_ui.render import notice, redirect, render
from admin_ui.session import ADVERTISER, STAFF, WEBMASTER, UiContext, access, read_form
from network.accounts import profile, service
from network.accounts.password_reset import PasswordResets
from network.accounts.schemas import SUPPORTED_LOCALES, EmailChange, PasswordChange, ProfileUpdate
from network.errors import DomainError
from network.http.deps import HasherDep, ResetsDep

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


async def _page(
    ui: UiContext,
    resets: PasswordResets,
    *,
    status_code: int = 200,
    failed: str = "",
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    return render(
        ui,
        "account.html",
        status_code=status_code,
        errors=errors,
        values=values or {},
        failed=failed,
        me=await service.me(ui.require()),
        mails=resets.mails_links,
        language_options=[(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES],
        notice=notice(ui, done),
    )


class AccountPages(Controller):
    path = "/account"
    opt = access(WEBMASTER | ADVERTISER | STAFF)

    @get("/")
    async def account(self, ui: UiDep, resets: ResetsDep, done: Code = None) -> Template:
        return await _page(ui, resets, done=done)

    @post("/profile", status_code=200)
    async def save_profile(self, request: AnyRequest, ui: UiDep, resets: ResetsDep) -> Response[Any]:
        values = await read_form(request, ui)
        shown = {k: values.get(k, "").strip() for k in ("display_name", "locale")}
        errors = required(shown, ui, "display_name", "locale")
        if not errors:
            try:
                me = await profile.update_profile(
                    ui.require(), msgspec.convert(shown, ProfileUpdate, strict=False)
                )
            except msgspec.ValidationError as exc:
                errors = invalid_input(exc, ui)
            except DomainError as exc:
                errors = form_errors(exc, ui)
            else:
                response = redirect("/ui/account", done="account_saved")
                if me.locale != ui.locale:
                    # The page comes back in the language just chosen (the cookie is what log-in pages read).
                    response = redirect(f"/ui/lang/{me.locale}", next="/ui/account?done=account_saved")
                return response
        return await _page(ui, resets, status_code=422, failed="profile", errors=errors, values=shown)

    @post("/email", status_code=200)
    async def change_email(
        self, request: AnyRequest, ui: UiDep, resets: ResetsDep, hasher: HasherDep
    ) -> Response[Any]:
        values = await read_form(request, ui)
        shown = {"email": values.get("email", "").strip()}
        errors = required({**values, **shown}, ui, "email", "current_password")
        if not errors:
            try:
                data = msgspec.convert(
                    {**shown, "current_password": values["current_password"]}, EmailChange, strict=False
                )
                await profile.change_email(ui.require(), data, hasher, resets.throttle, resets.outbox)
            except msgspec.ValidationError as exc:
                errors = invalid_input(exc, ui)
            except DomainError as exc:
                errors = form_errors(exc, ui)
                return await _page(
                    ui, resets, status_code=exc.status, failed="email", errors=errors, values=shown
                )
            else:
                return redirect("/ui/account", done="account_email_changed")
        return await _page(ui, resets, status_code=422, failed="email", errors=errors, values=shown)

    @post("/password", status_code=200)
    async def change_password(
        self, request: AnyRequest, ui: UiDep, resets: ResetsDep, hasher: HasherDep
    ) -> Response[Any]:
        values = await read_form(request, ui)
        errors = required(values, ui, "current_password", "new_password", "new_password2")
        new = values.get("new_password", "")
        check_new_password(values, ui, errors, "new_password", "new_password2", "account.mismatch")
        if not errors:
            data = PasswordChange(current_password=values["current_password"], new_password=new)
            try:
                await profile.change_password(ui.require(), data, hasher, resets.throttle, resets.outbox)
            except DomainError as exc:
                return await _page(
                    ui, resets, status_code=exc.status, failed="password", errors=form_errors(exc, ui)
                )
            return redirect("/ui/account", done="account_password_changed")
        return await _page(ui, resets, status_code=422, failed="password", errors=errors)
