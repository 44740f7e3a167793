"""What the staff console's pages share: the dependency types, and running one service call for a form so
that a refusal becomes messages next to the form's fields instead of an error page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


async def attempt(ui: UiContext, call: Callable[[], Awaitable[T]]) -> tuple[T | None, int, FormErrors]:
    """Run a service call; on refusal, the HTTP status to answer with and the messages per field."""
    try:
        return await call(), 200, FormErrors.empty()
    except msgspec.ValidationError as exc:
        return None, 422, invalid_input(exc, ui)
    except DomainError as exc:
        return None, exc.status, form_errors(exc, ui)
