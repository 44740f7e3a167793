"""The click endpoint: parse the link, decide on the in-memory snapshot, journal the event, 302.

No database access happens here, and the only I/O is one append to the local journal (page cache). The
route is a raw ASGI handler so that the click path skips litestar's parameter parsing and serialization.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any
from urllib.parse import quote

from litestar import asgi
from litestar.types import Receive, Scope, Send

from fastpath.results import Click
from network.db import database_errors
from network.http import raw
from network.settings import Settings
from network.tracking.clickid import new_click_id
from network.tracking.events import ClickEvent
from network.tracking.journal import JournalWriter
from network.tracking.links import ParsedLink, parse
from network.tracking.registry import Node, SnapshotRegistry
from network.tracking.useragent import classify

VISITOR_COOKIE = "cpn_vid"
VISITOR_MAX_AGE = 365 * 24 * 3600
# Characters kept as they are in a Location header; everything else (spaces, non-ASCII) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"
# A character that quote(url, safe=_URL_SAFE) would change; most URLs have none and skip quote().
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9_.~:/?#\[\]@!$&'()*+,;=%-]")
_COOKIE_TAIL = f"; Max-Age={VISITOR_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax"


def _location(url: str) -> bytes:
    """The Location header's value: ``url`` with what is not URL-safe percent-encoded."""
    if _NEEDS_QUOTING.search(url) is None:
        return url.encode("ascii")
    return quote(url, safe=_URL_SAFE).encode("latin-1")


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope["headers"]}


def _visitor(cookie_header: bytes) -> str | None:
    for part in cookie_header.decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == VISITOR_COOKIE and value.isalnum() and len(value) <= 32:
            return value
    return None


_NO_STORE = ((b"cache-control", b"no-store"),)


async def _problem(send: Send, status: int, slug: str, title: str, detail: str, path: str) -> None:
    await raw.send_problem(
        send, instance=path, status=status, slug=slug, title=title, detail=detail, headers=_NO_STORE
    )


async def _not_found(send: Send, detail: str, path: str) -> None:
    await _problem(send, 404, "not-found", "Not found", detail, path)


async def internal_error(send: Send, path: str) -> None:
    """A 500 problem for a click that failed unexpectedly (if the response has not started yet)."""
    await raw.internal_error(send, path, "the click could not be handled; it was logged", _NO_STORE)


class ClickHandler:
    def __init__(self, settings: Settings, registry: SnapshotRegistry, journal: JournalWriter) -> None:
        self.trust_proxy = settings.http.trust_proxy_headers
        self.secure_cookie = settings.http.public_base_url.startswith("https://")
        self.registry = registry
        self.journal = journal
        self.cookie_tail = _COOKIE_TAIL + ("; Secure" if self.secure_cookie else "")

    def _client(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[str, str]:
        client = scope.get("client")
        ip = client[0] if client else ""
        country = ""
        if self.trust_proxy:
            forwarded = headers.get(b"x-forwarded-for")
            if forwarded:
                ip = forwarded.split(b",")[0].strip().decode("latin-1")
            country = (
                headers.get(b"cf-ipcountry", headers.get(b"x-country", b"")).decode("latin-1").upper()[:2]
            )
        return ip, country

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # raw_path keeps the mount prefix that routing strips from path; some servers include the query in it.
        path = scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        link = parse(path, scope["query_string"])
        headers = _headers(scope)
        host = headers.get(b"host", b"").decode("latin-1")
        node = self.registry.node(host)
        try:
            if node is None and not self.registry.preload:
                node = await self.registry.node_for(host)
        except database_errors():
            # Only a network's very first click (engines built lazily) needs the database; say so plainly.
            await _problem(
                send,
                503,
                "unavailable",
                "Tracking temporarily unavailable",
                "this network's links cannot be served right now; retry in a moment",
                path,
            )
            return
        if link is None or node is None:
            await _not_found(send, "no network answers tracking links on this host", path)
            return
        await self._click(scope, send, link, node, headers)

    async def _click(
        self, scope: Scope, send: Send, link: ParsedLink, node: Node, headers: dict[bytes, bytes]
    ) -> None:
        target = link.target_id
        if link.dialect == "cake" and link.landing_id is not None:
            target = node.landing_offer.get(link.landing_id)
        ua = headers.get(b"user-agent", b"").decode("latin-1")[:1000]
        ip, country = self._client(scope, headers)
        referrer = headers.get(b"referer", b"").decode("latin-1")[:1000]
        device, os_name = classify(ua)
        now = time.time()
        click_id = new_click_id(now)
        cookie_header = headers.get(b"cookie")
        # os.urandom(16).hex() is what secrets.token_hex(16) returns, without its two calls in between.
        visitor = (cookie_header and _visitor(cookie_header)) or os.urandom(16).hex()
        if target is None or link.webmaster_id is None:
            # A broken link: nothing to decide on; the network's trafficback keeps the visitor.
            url, offer_id, landing_id, terms_id, trafficback, reason, valid, flags, score = (
                node.trafficback_url or "",
                None,
                None,
                None,
                True,
                "bad_link",
                False,
                0,
                0,
            )
        else:
            decision = node.engine.decide(
                Click(
                    target,
                    link.webmaster_id,
                    now,
                    ip,
                    ua,
                    click_id,
                    link.smartlink,
                    link.landing_id,
                    link.deep_link,
                    link.subs,
                    country,
                    device,
                    os_name,
                    referrer,
                    link.source,
                    link.creative_id,
                )
            )
            verdict = decision.verdict
            url, offer_id, landing_id, terms_id = (
                decision.url,
                decision.offer_id,
                decision.landing_id,
                decision.terms_version_id,
            )
            trafficback, reason = decision.is_trafficback, decision.reason.value
            valid, flags, score = verdict.valid, int(verdict.flags), verdict.score
        # Written before the redirect: a click that got its 302 is in the journal (see journal.py).
        self.journal.append(
            ClickEvent(
                click_id,
                node.network_id,
                now,
                link.webmaster_id or 0,
                offer_id,
                landing_id,
                terms_id,
                trafficback,
                reason,
                valid,
                flags,
                score,
                ip,
                ua,
                referrer,
                country,
                device,
                os_name,
                visitor,
                link.source,
                link.creative_id,
                link.subs,
            )
        )
        if not url:
            await _not_found(
                send, "this link leads nowhere and the network has no trafficback URL", scope["path"]
            )
            return
        cookie = f"{VISITOR_COOKIE}={visitor}{self.cookie_tail}"
        await raw.respond(
            send,
            302,
            [
                (b"location", _location(url)),
                (b"cache-control", b"no-store"),
                (b"set-cookie", cookie.encode("latin-1")),
                (b"x-click-id", click_id.encode()),
                (b"content-length", b"0"),
            ],
        )


def click_routes(handler: ClickHandler) -> list[Any]:
    """The click routes, as raw ASGI handlers outside authentication and the OpenAPI document."""
    opt = {"exclude_from_auth": True}

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        await handler(scope, receive, send)

    # /c/{offer} and /s/{smartlink} are mounts (litestar's router cannot give ASGI handlers path parameters);
    # the handler reads the original path from raw_path.
    routes = [("/c", True), ("/s", True), ("/aff_c", False), ("/click", False), ("/", False)]
    return [
        asgi(path, opt=opt, include_in_schema=False, name=f"click-{i}", is_mount=mount, copy_scope=True)(
            serve
        )
        for i, (path, mount) in enumerate(routes)
    ]
