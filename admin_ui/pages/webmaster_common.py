"""What the webmaster's tool pages share (links, stats, postbacks, referrals, profile): the service messages
they translate themselves, on top of admin_ui/errors.py's, so a refusal reads in the reader's language."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors
from admin_ui.session import UiContext
from network.errors import DomainError

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
PAGE = 20

# (problem slug, start of the service's detail, message key, field): the services' words these pages meet.
KNOWN: tuple[tuple[str, str, str, str | None], ...] = (
    ("conflict", "join this offer first", "wm.err.join_first", None),
    ("conflict", "this offer is not active", "wm.err.offer_inactive", None),
    ("not-found", "landing page not found", "wm.err.landing_unknown", "landing_id"),
    ("validation", "date_from: must not be after date_to", "wm.err.dates_order", "date_from"),
    ("validation", "the period is at most", "wm.err.period_long", "date_from"),
    ("validation", "date_from: must be between", "wm.err.date_range", "date_from"),
    ("validation", "date_to: must be between", "wm.err.date_range", "date_to"),
    ("validation", "the report would have more than", "wm.err.too_many_rows", None),
    ("validation", "macros may only appear in the path", "wm.err.macro_in_host", "url"),
    ("validation", "unknown macros", "wm.err.macro_unknown", "url"),
    ("validation", "url: ", "wm.err.url_refused", "url"),
)


def problem(exc: DomainError, ui: UiContext) -> FormErrors:
    """The service's refusal next to its field; messages these pages do not know go to admin_ui/errors.py."""
    code = str(exc.extra.get("code", ""))
    if code.startswith("ssrf_") and ui.t.has(f"wm.err.{code}"):
        # The SSRF guard's refusals (network/outbound/ssrf.py SsrfCode), by their code.
        return FormErrors({str(exc.extra.get("field") or "url"): ui.t(f"wm.err.{code}")}, [])
    for slug, prefix, key, field in KNOWN:
        if exc.slug == slug and exc.detail.startswith(prefix):
            message = ui.t(key, detail=exc.detail.partition(": ")[2])
            return FormErrors({field: message}, []) if field else FormErrors({}, [message])
    return form_errors(exc, ui)
