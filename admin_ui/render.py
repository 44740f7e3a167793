"""Rendering a page: the template gets the request's context, the navigation of the reader's role, and
whatever the handler computed. Templates only lay out what they are given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.response import Redirect, Template

from admin_ui.forms import FormErrors
from admin_ui.session import UiContext
from admin_ui.staff_nav import STAFF_NAV, STAFF_NOTICES
from network.principal import Role

NAVIGATION: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.WEBMASTER: (
        ("/ui/wm", "nav.dashboard"),
        ("/ui/wm/offers", "nav.offers"),
        ("/ui/wm/my-offers", "nav.my_offers"),
        ("/ui/wm/conversions", "nav.conversions"),
        ("/ui/wm/stats", "nav.wm_stats"),
        ("/ui/wm/balance", "nav.balance"),
        ("/ui/wm/postbacks", "nav.wm_postbacks"),
        ("/ui/wm/referrals", "nav.wm_referrals"),
        ("/ui/wm/profile", "nav.wm_profile"),
    ),
    Role.ADVERTISER: (
        ("/ui/adv", "nav.dashboard"),
        ("/ui/adv/offers", "nav.offers"),
        ("/ui/adv/access", "nav.adv_access"),
        ("/ui/adv/conversions", "nav.review"),
        ("/ui/adv/postbacks", "nav.adv_postbacks"),
        ("/ui/adv/balance", "nav.balance"),
    ),
    Role.STAFF: STAFF_NAV,
    Role.NETWORK_ADMIN: STAFF_NAV,
}
# Pages whose address is a prefix of others' (the dashboard) are current only on their own address.
EXACT = frozenset({"/ui/wm", "/ui/adv"})


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    current: bool


def navigation(ctx: UiContext) -> list[NavItem]:
    if ctx.principal is None:
        return []
    items = []
    for href, key in NAVIGATION[ctx.principal.role]:
        current = ctx.path == href or (href not in EXACT and ctx.path.startswith(href + "/"))
        items.append(NavItem(href, ctx.t(key), current))
    return items


def render(
    ctx: UiContext,
    template_name: str,
    *,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    **data: Any,
) -> Template:
    context = {
        "ui": ctx,
        "t": ctx.t,
        "fmt": ctx.fmt,
        "nav": navigation(ctx),
        "errors": errors or FormErrors.empty(),
        "values": values or {},
        "notice": None,
        **data,
    }
    return Template(
        template_name=template_name, context=context, status_code=status_code, cookies=ctx.cookies
    )


def redirect(path: str, **query: str) -> Redirect:
    """See Other: after a form, the browser fetches the page again with GET (no resubmission on reload)."""
    kept = {k: v for k, v in query.items() if v}
    return Redirect(path=path, query_params=kept or None, status_code=303)


# A form's outcome shown on the next page, named in the address (``?done=withdrawal_requested``) and
# translated there: only these names are shown.
NOTICES = frozenset(
    {
        "signed_up",
        "joined",
        "requested",
        "withdrawal_requested",
        "conversion_approved",
        "conversion_rejected",
        "conversion_reversed",
        "offer_approved",
        "offer_rejected",
        "webmaster_approved",
        "webmaster_rejected",
        "logged_out",
        "password_reset",
        "account_saved",
        "account_email_changed",
        "account_password_changed",
        "wm_language_saved",
        "wm_key_revoked",
        "wm_postback_saved",
        "wm_postback_disabled",
        "wm_delivery_replayed",
        "adv_access_approved",
        "adv_access_declined",
        "adv_offer_created",
        "adv_offer_saved",
        "adv_offer_submitted",
        "adv_terms_published",
        "adv_bulk_done",
        "adv_token_revoked",
        *STAFF_NOTICES,
    }
)


def notice(ctx: UiContext, done: str | None) -> str | None:
    return ctx.t(f"notice.{done}") if done in NOTICES else None
