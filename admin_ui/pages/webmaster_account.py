"""The webmaster's profile (who they are, the language of the cabinet) and API keys (``/api/v1/api-keys``:
list, create with the secret shown once, revoke), and the referral programme (their referral link and the
webmasters who signed up with it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Response, get, post
from litestar.response import Template

from admin_ui.forms import FormErrors, invalid_input, required
from admin_ui.i18n import LOCALES
from admin_ui.pages.params import Code, IdPath, Offset
from admin_ui.pages.webmaster_common import PAGE, AnyRequest, UiDep, problem
from admin_ui.preferences import set_locale
from admin_ui.render import notice, redirect, render
from admin_ui.session import WEBMASTER, UiContext, access, read_form
from admin_ui.views import pager
from network.accounts import authn
from network.accounts import service as accounts
from network.accounts.schemas import ApiKeyCreate, ApiKeyCreated
from network.errors import DomainError
from network.http.deps import SettingsDep

LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


async def _profile_page(
    ui: UiContext,
    *,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    created: ApiKeyCreated | None = None,
    done: str | None = None,
) -> Template:
    principal = ui.require()
    me = await accounts.me(principal)
    assert principal.webmaster_id is not None
    webmaster = await accounts.get_webmaster(principal, principal.webmaster_id)
    keys = await authn.list_api_keys(principal, everyone=False)
    return render(
        ui,
        "wm/profile.html",
        status_code=status_code,
        errors=errors,
        values=values or {},
        me=me,
        webmaster=webmaster,
        keys=keys,
        created=created,
        language_options=[(code, LANGUAGE_NAMES[code]) for code in LOCALES],
        notice=notice(ui, done),
    )


class WebmasterAccountPages(Controller):
    path = "/wm"
    opt = access(WEBMASTER)

    @get("/profile")
    async def profile(self, ui: UiDep, done: Code = None) -> Template:
        """Name, e-mail, account state, the language, and the API keys."""
        return await _profile_page(ui, done=done)

    @post("/profile/language", status_code=200)
    async def language(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        values = await read_form(request, ui)
        try:
            await set_locale(ui.require(), values.get("locale", ""))
        except DomainError as exc:
            return await _profile_page(ui, status_code=exc.status, errors=problem(exc, ui))
        return redirect("/ui/wm/profile", done="wm_language_saved")

    @post("/api-keys", status_code=200)
    async def create_key(self, request: AnyRequest, ui: UiDep, settings: SettingsDep) -> Response[Any]:
        """The secret is on this page only: cpanet keeps a hash (so no redirect: it cannot be shown again)."""
        values = await read_form(request, ui)
        shown = {k: values.get(k, "") for k in ("name", "rate_limit_per_minute")}
        errors = required(shown, ui, "name")
        if errors:
            return await _profile_page(ui, status_code=422, errors=errors, values=shown)
        data = {k: v for k, v in shown.items() if v}
        try:
            key = msgspec.convert(data, ApiKeyCreate, strict=False)
            created = await authn.create_api_key(
                ui.require(), key, settings.security.default_api_key_rate_limit
            )
        except msgspec.ValidationError as exc:
            return await _profile_page(ui, status_code=422, errors=invalid_input(exc, ui), values=shown)
        except DomainError as exc:
            return await _profile_page(ui, status_code=exc.status, errors=problem(exc, ui), values=shown)
        return await _profile_page(ui, status_code=201, created=created)

    @post("/api-keys/{key_id:int}/revoke", status_code=200)
    async def revoke_key(self, request: AnyRequest, ui: UiDep, key_id: IdPath) -> Response[Any]:
        await read_form(request, ui)
        try:
            await authn.revoke_api_key(ui.require(), key_id)
        except DomainError as exc:
            return await _profile_page(ui, status_code=exc.status, errors=problem(exc, ui).flattened())
        return redirect("/ui/wm/profile", done="wm_key_revoked")

    @get("/referrals")
    async def referrals(self, request: AnyRequest, ui: UiDep, offset: Offset = 0) -> Template:
        """The referral link (``/ui/signup?network=SLUG&ref=CODE`` on this host) and who signed up with it."""
        principal = ui.require()
        assert principal.webmaster_id is not None and ui.network is not None
        me = await accounts.get_webmaster(principal, principal.webmaster_id)
        found = await accounts.list_referrals(principal, principal.webmaster_id, PAGE, offset)
        base = str(request.base_url).rstrip("/")
        return render(
            ui,
            "wm/referrals.html",
            link=f"{base}/ui/signup?" + urlencode({"network": ui.network.slug, "ref": me.referral_code}),
            code=me.referral_code,
            referrals=found.items,
            pager=pager(found.total, PAGE, offset, "/ui/wm/referrals", {}),
        )
