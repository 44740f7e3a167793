"""The hot paths go to raw ASGI handlers before litestar's router, middleware and exception wrapper.

Clicks (the whole internet hits them) and GET postbacks (advertisers' servers send them in bulk) need none of
what litestar adds to a request: authentication middleware, guards, routing of path parameters, the response
wrapper. Dispatching clicks first saves about a fifth of a click's server CPU (docs/benchmarks/clicks.md);
postbacks, docs/benchmarks/postbacks.md. Every other request, and every lifespan event, goes to litestar
unchanged; the hot routes stay registered there as well (``/c`` without a trailing slash, for instance,
reaches the same click handler through litestar, and a POST postback the litestar route).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import cast

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import HTTPScope, LifeSpanReceive, LifeSpanScope, LifeSpanSend, Receive, Scope, Send

from network.conversions.front import POSTBACK_PATHS
from network.tracking.endpoint import internal_error
from network.tracking.front import is_click_path

log = logging.getLogger("cpanet.http")

RawHandler = Callable[[HTTPScope, Receive, Send], Awaitable[None]]


class HotPathApp(Litestar):
    """A litestar app whose click paths and GET postback paths skip litestar (see the module docstring)."""

    click_handler: RawHandler | None = None
    postback_handler: RawHandler | None = None

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        if scope["type"] == ScopeType.HTTP:
            http = cast("HTTPScope", scope)
            path = http["path"]
            if self.click_handler is not None and is_click_path(path):
                click_send = cast("Send", send)
                try:
                    await self.click_handler(http, cast("Receive", receive), click_send)
                except Exception:
                    # Never a trace to the visitor: a problem document, and the trace in the log.
                    log.exception("click handler failed on %s", path)
                    await internal_error(click_send, path)
                return
            if self.postback_handler is not None and path in POSTBACK_PATHS and http["method"] == "GET":
                # The handler answers every error itself (a problem document, never a trace).
                await self.postback_handler(http, cast("Receive", receive), cast("Send", send))
                return
        await super().__call__(scope, receive, send)
