"""Staff: users by role, banning and unbanning webmasters and advertisers with a reason the account holder
reads, API keys (a network admin sees and can revoke every key; staff their own, as the API allows), and,
when the network sends no e-mail, password reset links handed out by staff (shown once)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.response import Template

from admin_ui.forms import FormErrors, misplaced, required
from admin_ui.pages.params import Code, IdPath, Offset
from admin_ui.pages.staff_common import AnyRequest, UiDep, attempt
from admin_ui.render import notice, redirect, render
from admin_ui.session import STAFF, UiContext, access, read_form
from admin_ui.views import pager
from network.accounts import authn, password_reset
from network.accounts import service as accounts
from network.accounts.password_reset import IssuedLink, PasswordResets
from network.accounts.schemas import StatusChange
from network.http.client import client_ip
from network.http.deps import ResetsDep
from network.principal import STAFF_ROLES, Role

PATH = "/ui/staff/users"
TABS = ("webmaster", "advertiser", "staff", "network_admin")
PAGE = 25
# What the page offers per profile status (accounts.service PROFILE_TRANSITIONS allows them).
MOVES = {"pending": "banned", "active": "banned", "banned": "active"}


async def _page(
    ui: UiContext,
    resets: PasswordResets,
    role: str | None,
    offset: int = 0,
    *,
    issued: IssuedLink | None = None,
    status_code: int = 200,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    principal = ui.require()
    counts = {tab: (await accounts.list_users(principal, tab, 1, 0)).total for tab in TABS}
    if role not in TABS:
        role = "webmaster"
    users = await accounts.list_users(principal, role, PAGE, offset)
    # The profile each webmaster or advertiser user belongs to: its status is what a ban changes.
    profiles: dict[int, tuple[str, int, str, str]] = {}
    for user in users.items:
        if user.webmaster_id:
            wm = await accounts.get_webmaster(principal, user.webmaster_id)
            profiles[user.id] = ("webmasters", wm.id, wm.status, wm.status_reason)
        elif user.advertiser_id:
            adv = await accounts.get_advertiser(principal, user.advertiser_id)
            profiles[user.id] = ("advertisers", adv.id, adv.status, adv.status_reason)
    everyone = principal.role is Role.NETWORK_ADMIN
    keys = await authn.list_api_keys(principal, everyone=everyone)
    shown: set[object] = {f"{kind}-{pid}" for kind, pid, _, _ in profiles.values()} | {"keys"}
    # Without mail, staff hand out reset links: for advertisers and webmasters, and a network admin for all.
    resettable = set()
    if not resets.mails_links:
        resettable = {u.id for u in users.items if everyone or Role(u.role) not in STAFF_ROLES}
    shown |= {f"reset-{user_id}" for user_id in resettable}
    return render(
        ui,
        "staff/users.html",
        status_code=status_code,
        errors=errors,
        values=values,
        failed=failed,
        misplaced=misplaced(errors, failed, shown),
        tabs=[(tab, counts[tab]) for tab in TABS],
        role=role,
        users=users.items,
        profiles=profiles,
        moves=MOVES,
        keys=keys,
        everyone=everyone,
        pager=pager(users.total, PAGE, offset, PATH, {"role": role}),
        notice=notice(ui, done),
        resettable=resettable,
        mails_links=resets.mails_links,
        issued=issued,
    )


async def _set_status(
    request: AnyRequest, ui: UiContext, resets: PasswordResets, kind: str, profile_id: int
) -> Response[Any]:
    values = await read_form(request, ui)
    tab = values.get("role")
    shown = {"reason": values.get("reason", "")}
    failed = f"{kind}-{profile_id}"
    errors = required(values, ui, "reason")
    if values.get("status") not in {"banned", "active"}:
        errors.form.append(ui.t("err.invalid"))
    if errors:
        return await _page(ui, resets, tab, status_code=422, failed=failed, errors=errors, values=shown)
    change = {"status": values["status"], "reason": values["reason"]}

    async def call() -> object:
        data = msgspec.convert(change, StatusChange)
        if kind == "webmasters":
            return await accounts.set_webmaster_status(ui.require(), profile_id, data)
        return await accounts.set_advertiser_status(ui.require(), profile_id, data)

    _, status_code, errors = await attempt(ui, call)
    if errors:
        return await _page(
            ui, resets, tab, status_code=status_code, failed=failed, errors=errors, values=shown
        )
    done = "staff_user_banned" if values["status"] == "banned" else "staff_user_unbanned"
    return redirect(PATH, role=tab or "", done=done)


class StaffUserPages(Controller):
    path = "/staff/users"
    opt = access(STAFF)

    @get("/")
    async def users(
        self, ui: UiDep, resets: ResetsDep, role: Code = None, offset: Offset = 0, done: Code = None
    ) -> Template:
        """Users of one role, with ban / unban for webmasters and advertisers, and the API keys."""
        return await _page(ui, resets, role, offset, done=done)

    @post("/webmasters/{profile_id:int}/status", status_code=200)
    async def webmaster_status(
        self, request: AnyRequest, ui: UiDep, resets: ResetsDep, profile_id: IdPath
    ) -> Response[Any]:
        """Ban or unban a webmaster, with the reason they read."""
        return await _set_status(request, ui, resets, "webmasters", profile_id)

    @post("/advertisers/{profile_id:int}/status", status_code=200)
    async def advertiser_status(
        self, request: AnyRequest, ui: UiDep, resets: ResetsDep, profile_id: IdPath
    ) -> Response[Any]:
        """Ban or unban an advertiser, with the reason they read."""
        return await _set_status(request, ui, resets, "advertisers", profile_id)

    @post("/keys/{key_id:int}/revoke", status_code=200)
    async def revoke_key(
        self, request: AnyRequest, ui: UiDep, resets: ResetsDep, key_id: IdPath
    ) -> Response[Any]:
        values = await read_form(request, ui)
        tab = values.get("role")

        async def call() -> object:
            return await authn.revoke_api_key(ui.require(), key_id, values.get("reason", ""))

        _, status_code, errors = await attempt(ui, call)
        if errors:
            return await _page(ui, resets, tab, status_code=status_code, failed="keys", errors=errors)
        return redirect(PATH, role=tab or "", done="staff_key_revoked")

    @post("/{user_id:int}/reset-link", status_code=200)
    async def reset_link(
        self, request: AnyRequest, ui: UiDep, resets: ResetsDep, user_id: IdPath
    ) -> Response[Any]:
        """Issue a password reset link for a user (no mail configured). The answer is the page itself with
        the link, never a redirect: the link must not end up in an address or the history."""
        values = await read_form(request, ui)
        tab = values.get("role")

        async def call() -> IssuedLink:
            return await password_reset.issue_link(resets, ui.require(), user_id, ip=client_ip(request))

        issued, status_code, errors = await attempt(ui, call)
        if errors:
            return await _page(
                ui, resets, tab, status_code=status_code, failed=f"reset-{user_id}", errors=errors
            )
        return await _page(ui, resets, tab, issued=issued)
