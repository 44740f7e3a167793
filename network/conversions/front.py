"""GET postbacks (``/postback``, ``/aff_lsr``) as a raw ASGI handler, dispatched before litestar's router,
middleware and exception wrapper (network/http/front.py), as clicks are.

Advertisers' servers send these in bulk, and they need none of what litestar adds to a request (the postback
routes are outside authentication middleware and guards; the token in the query is the authentication). The
handler reads the query, the signature headers, the visitor cookie and the client address as the litestar
routes do (replies.py) and answers with the same document; a domain error is the same problem document as
litestar's handler writes, anything unexpected a 500 problem with the trace in the log. POST postbacks and the
pixel stay litestar routes, and GET ones stay registered there too (the OpenAPI document lists them).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from litestar.types import HTTPScope, Receive, Send

from network.conversions import intake
from network.conversions.replies import SIGNATURE_HEADERS, answer_document, postback_params
from network.errors import DomainError
from network.http import raw
from network.http.problems import PROBLEM_MEDIA_TYPE, domain_problem
from network.settings import Settings
from network.tracking.endpoint import VISITOR_COOKIE

log = logging.getLogger("cpanet.conversions")

# The paths a GET postback is served on without litestar.
POSTBACK_PATHS = frozenset({"/postback", "/aff_lsr"})
_SIGNATURE = frozenset(h.encode() for h in SIGNATURE_HEADERS)


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip().strip('"')
    return ""


class PostbackHandler:
    """The raw ASGI handler of GET postbacks."""

    def __init__(self, settings: Settings) -> None:
        self.trust_proxy = settings.http.trust_proxy_headers

    def _received(self, scope: HTTPScope, path: str) -> intake.Received:
        signed: dict[str, str] = {}
        cookie = forwarded = ""
        for key, value in scope["headers"]:
            name = key.lower()
            if name in _SIGNATURE:
                signed.setdefault(name.decode(), value.decode("latin-1"))
            elif name == b"cookie":
                cookie = value.decode("latin-1")
            elif name == b"x-forwarded-for" and not forwarded:
                forwarded = value.decode("latin-1")
        client = scope.get("client")
        ip = client[0] if client else ""
        if self.trust_proxy and forwarded:
            ip = forwarded.split(",")[0].strip()[:45]
        # As litestar reads a query: bytes as latin-1, then percent-escapes as UTF-8, blank values kept.
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True, separator="&")
        return intake.Received(
            path=path,
            params=postback_params(pairs, signed),
            ip=ip,
            visitor_id=_cookie(cookie, VISITOR_COOKIE)[:32],
            at=datetime.now(UTC),
        )

    async def __call__(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        try:
            answer = await intake.receive(self._received(scope, path))
        except DomainError as exc:
            body, headers = domain_problem(exc, path)
            extra = [(k.lower().encode(), v.encode("latin-1")) for k, v in (headers or {}).items()]
            await raw.send_json(send, exc.status, PROBLEM_MEDIA_TYPE, body, extra)
            return
        except Exception:
            # Never a trace to the sender: a problem document, and the trace in the log.
            log.exception("postback handler failed on %s", path)
            await raw.internal_error(send, path, "something went wrong on our side; the error was logged")
            return
        await raw.send_json(send, *answer_document(answer))
