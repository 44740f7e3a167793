"""Clicks go to the click handler before litestar's router, middleware and exception wrapper.

The click path is the one the whole internet hits, and it needs none of what litestar adds to a request
(authentication middleware, guards, routing of path parameters, the response wrapper): dispatching it first
saves about a fifth of a click's server CPU (docs/benchmarks/clicks.md). Every other request, and every
lifespan event, goes to litestar unchanged; the click routes stay registered there as well (``/c`` without a
trailing slash, for instance, reaches the same handler through litestar).
"""

from __future__ import annotations

import logging
from typing import cast

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import HTTPScope, LifeSpanReceive, LifeSpanScope, LifeSpanSend, Receive, Scope, Send

from network.tracking.endpoint import ClickHandler, internal_error

log = logging.getLogger("cpanet.tracking")

CLICK_PATHS = frozenset({"/", "/aff_c", "/click"})
CLICK_PREFIXES = ("/c/", "/s/")


def is_click_path(path: str) -> bool:
    return path in CLICK_PATHS or path.startswith(CLICK_PREFIXES)


class ClickFirstApp(Litestar):
    """A litestar app whose click paths skip litestar (see the module docstring)."""

    click_handler: ClickHandler | None = None

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        handler = self.click_handler
        if handler is not None and scope["type"] == ScopeType.HTTP:
            http = cast("HTTPScope", scope)
            path = http["path"]
            if is_click_path(path):
                click_send = cast("Send", send)
                try:
                    await handler(http, cast("Receive", receive), click_send)
                except Exception:
                    # Never a trace to the visitor: a problem document, and the trace in the log.
                    log.exception("click handler failed on %s", path)
                    await internal_error(click_send, path)
                return
        await super().__call__(scope, receive, send)
