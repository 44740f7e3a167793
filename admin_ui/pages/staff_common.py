"""What the staff console's pages share: the dependency types, and running one service call for a form so
that a refusal becomes messages next to the form's fields instead of an error page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.di import NamedDependency

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, invalid_input
from admin_ui.session import UiContext
from network.errors import DomainError

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
T = TypeVar("T")


async def attempt(
    ui: UiContext, call: Callable[[], Awaitable[T]], fields: Mapping[str, str] | None = None
) -> tuple[T | None, int, FormErrors]:
    """Run a service call; on refusal, the HTTP status to answer with and the messages per field.
    ``fields`` places a problem that names no field by the start of its detail (``{"unknown time zone":
    "timezone"}``) next to the field it is about."""
    try:
        return await call(), 200, FormErrors.empty()
    except msgspec.ValidationError as exc:
        return None, 422, invalid_input(exc, ui)
    except DomainError as exc:
        errors = form_errors(exc, ui)
        for prefix, field in (fields or {}).items():
            if errors.form and exc.detail.startswith(prefix):
                errors = FormErrors({field: " ".join(errors.form)}, [])
        return None, exc.status, errors


@dataclass(frozen=True)
class HBar:
    """One horizontal bar of a server-drawn SVG chart (no script, no inline style)."""

    label: str
    text: str
    y: float
    width: float


@dataclass(frozen=True)
class HChart:
    width: int
    height: int
    label_width: int
    bars: list[HBar]


def hbars(items: Sequence[tuple[str, float, str]], *, width: int = 640, row: int = 26) -> HChart:
    """Bars for (label, value, value as text), the longest filling the drawing; zero draws nothing."""
    label_width, text_width = 150, 110
    plot = width - label_width - text_width
    top = max((value for _, value, _ in items), default=0.0)
    bars = [
        HBar(label, text, i * row, round(plot * value / top, 2) if top > 0 else 0.0)
        for i, (label, value, text) in enumerate(items)
    ]
    return HChart(width, max(len(bars), 1) * row, label_width, bars)


def duration(ui: UiContext, seconds: float | None) -> str:
    """A wait in hours (or minutes under an hour), in the reader's language."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return ui.t("staff.minutes", n=ui.fmt.number(Decimal(seconds) / 60))
    return ui.t("staff.hours", n=ui.fmt.number(Decimal(seconds) / 3600, 1))
