"""Synchronous, standard-library HTTP delivery of one outgoing postback (runs inside a Celery task).

Every hop is checked by ``resolve_pinned`` and the TCP connection goes to the pinned IP: the host name is
used only for the Host header, TLS SNI and certificate verification, never resolved again. Redirects are
followed by hand so each Location is checked the same way. ``timeout`` is one deadline for the whole
delivery (connect, TLS, request, response, every redirect), enforced by a watchdog that shuts the socket
down: a receiver that drips one byte a second cannot hold a worker past it. Name resolution happens before
the connection and is bounded by the system resolver's own timeout, not by this deadline.

``deliver`` never raises for network trouble: it returns a ``DeliveryResult`` with an error code.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final
from urllib.parse import urljoin

from network.outbound.signing import EVENT_ID_HEADER, EVENT_ID_PATTERN, signature_headers
from network.outbound.ssrf import (
    AllowList,
    PinnedTarget,
    Resolver,
    SsrfError,
    resolve_pinned,
    system_resolver,
)

REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
SNIPPET_CHARS: Final = 512
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 1024
USER_AGENT: Final = "cpanet-postback/1"
# Caller headers that must not follow a redirect to another origin.
_CREDENTIAL_HEADERS: Final = frozenset({"authorization", "cookie", "proxy-authorization"})
_TOKEN: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Set by deliver (or by http.client from the pinned target), never by the caller.
_RESERVED_HEADERS: Final = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class OutboundRequest:
    """One postback: ``url`` with macros already expanded. ``secret`` None sends it unsigned (the event id
    header is always sent)."""

    url: str
    event_id: str
    method: str = "GET"
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    secret: bytes | None = None

    def __post_init__(self) -> None:
        if not EVENT_ID_PATTERN.fullmatch(self.event_id):
            raise ValueError("event_id must be 1-64 of [A-Za-z0-9_-] (a UUID fits)")
        if self.method not in ("GET", "POST"):
            raise ValueError("method must be GET or POST")
        if self.method == "GET" and self.body:
            raise ValueError("a GET postback has no body")
        for name, value in self.headers.items():
            if not _TOKEN.fullmatch(name) or any(c in value for c in "\r\n\0"):
                raise ValueError(f"invalid header {name!r}")
            if name.lower() in _RESERVED_HEADERS or name.lower().startswith("x-cpanet-"):
                raise ValueError(f"header {name!r} is set by deliver()")


@dataclass(frozen=True)
class DeliveryResult:
    status: int | None  # the last HTTP status received, None when no response came
    latency_ms: float  # the whole delivery, redirects included
    snippet: str  # the first 512 characters of the last response body
    error_code: str | None  # None, ssrf_*, timeout, connection_refused, too_many_redirects ... (docs)
    error_message: str | None
    final_url: str  # the last URL requested (the original one when nothing was sent)
    redirects: int  # redirects followed
    visited: tuple[str, ...] = ()  # every URL requested, in order

    @property
    def ok(self) -> bool:
        return self.error_code is None and self.status is not None and 200 <= self.status < 300


class _DeadlineError(Exception):
    """The delivery's total time ran out."""


class _Deadline:
    """One deadline for the whole delivery. Per-operation socket timeouts are reset by every byte that
    arrives, so a timer thread also shuts the current socket down when the time is up."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0 or self.expired:
            raise _DeadlineError
        return left

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
        if sock is not None and self.expired:
            raise _DeadlineError

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                # socket.socket's own shutdown, also for an SSLSocket: it only wakes the blocked reader and
                # leaves the TLS object to the thread that owns it. OSError: already closed by its owner.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Deadline:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()
        self._timer.join()


def _open_pinned(target: PinnedTarget, deadline: _Deadline) -> socket.socket:
    sock = socket.create_connection((str(target.ip), target.port), timeout=deadline.remaining())
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to ``target.ip``; http.client writes ``Host: target.host[:port]`` as for a normal connection."""

    def __init__(self, target: PinnedTarget, deadline: _Deadline) -> None:
        super().__init__(target.host, target.port, timeout=deadline.remaining())
        self._target = target
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = _open_pinned(self._target, self._deadline)
        self._deadline.watch(self.sock)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``target.ip`` with SNI and certificate verification against ``target.host``."""

    def __init__(self, target: PinnedTarget, deadline: _Deadline, context: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=deadline.remaining(), context=context)
        self._target = target
        self._deadline = deadline
        self._ssl_context = context

    def connect(self) -> None:
        raw = _open_pinned(self._target, self._deadline)
        self.sock = raw
        self._deadline.watch(raw)
        # Wrap first and handshake after, so the watchdog holds the socket that is in use while it runs.
        tls = self._ssl_context.wrap_socket(raw, server_hostname=self.host, do_handshake_on_connect=False)
        self.sock = tls
        self._deadline.watch(tls)
        tls.do_handshake()


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@dataclass(frozen=True)
class _Response:
    status: int
    location: str | None
    snippet: str


def _decode(body: bytes, charset: str | None) -> str:
    # LookupError: an unknown charset, or a codec that is not a text encoding (charset=base64)
    try:
        return body.decode(charset or "utf-8", errors="replace")[:SNIPPET_CHARS]
    except LookupError:
        return body.decode("utf-8", errors="replace")[:SNIPPET_CHARS]


def _exchange(
    target: PinnedTarget,
    method: str,
    body: bytes,
    headers: dict[str, str],
    deadline: _Deadline,
    ssl_context: ssl.SSLContext,
    max_response_bytes: int,
) -> _Response:
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = _PinnedHTTPSConnection(target, deadline, ssl_context)
    else:
        conn = _PinnedHTTPConnection(target, deadline)
    try:
        conn.request(method, target.path_and_query, body=body if method == "POST" else None, headers=headers)
        if conn.sock is not None:
            conn.sock.settimeout(deadline.remaining())
        response = conn.getresponse()
        try:
            received = bytearray()
            while len(received) < max_response_bytes:
                if conn.sock is not None:
                    conn.sock.settimeout(deadline.remaining())
                chunk = response.read1(min(8192, max_response_bytes - len(received)))
                if not chunk:
                    break
                received += chunk
            # the watchdog's shutdown reads as an orderly end of the body: tell the two apart
            if deadline.expired:
                raise _DeadlineError
            return _Response(
                response.status,
                response.getheader("Location"),
                _decode(bytes(received), response.headers.get_content_charset()),
            )
        finally:
            response.close()
    finally:
        deadline.watch(None)
        conn.close()


def _origin(target: PinnedTarget) -> tuple[str, str, int]:
    return target.scheme, target.host, target.port


def _network_error(exc: BaseException, deadline: _Deadline) -> tuple[str, str]:
    if deadline.expired or isinstance(exc, _DeadlineError | TimeoutError):
        return "timeout", "no complete answer within the delivery deadline"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused", "the receiver refused the connection"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "tls_certificate", f"TLS certificate not valid for this host: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return "tls_error", f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "connection_closed", "the receiver closed the connection without answering"
    if isinstance(exc, http.client.HTTPException):
        return "protocol_error", f"not a valid HTTP response ({type(exc).__name__})"
    return "connection_error", f"{type(exc).__name__}: {exc}"


def deliver(
    request: OutboundRequest,
    *,
    allow: AllowList,
    timeout: float = 5.0,
    max_redirects: int = 3,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    resolver: Resolver = system_resolver,
    ssl_context: ssl.SSLContext | None = None,
) -> DeliveryResult:
    """Send ``request``, following up to ``max_redirects`` redirects, within ``timeout`` seconds in total."""
    started = time.monotonic()
    context = ssl_context if ssl_context is not None else _default_ssl_context()
    method, body, url = request.method, request.body, request.url
    caller_headers = dict(request.headers)
    visited: list[str] = []
    previous: PinnedTarget | None = None
    status: int | None = None
    snippet = ""

    def result(code: str | None = None, message: str | None = None) -> DeliveryResult:
        return DeliveryResult(
            status=status,
            latency_ms=(time.monotonic() - started) * 1000,
            snippet=snippet,
            error_code=code,
            error_message=message,
            final_url=visited[-1] if visited else request.url,
            redirects=max(len(visited) - 1, 0),
            visited=tuple(visited),
        )

    with _Deadline(timeout) as deadline:
        while True:
            try:
                target = resolve_pinned(url, allow=allow, resolver=resolver)
            except SsrfError as exc:
                refused = "" if not visited else f"redirect to {url} refused: "
                return result(exc.code.value, refused + exc.message)
            visited.append(target.url)
            if previous is not None and _origin(previous) != _origin(target):
                caller_headers = {
                    k: v for k, v in caller_headers.items() if k.lower() not in _CREDENTIAL_HEADERS
                }
            previous = target
            headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"}
            for name in caller_headers:
                headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            headers.update(caller_headers)
            if request.secret is not None:
                headers.update(
                    signature_headers(
                        request.secret,
                        method,
                        target.url,
                        body,
                        event_id=request.event_id,
                        timestamp=int(time.time()),
                    )
                )
            else:
                headers[EVENT_ID_HEADER] = request.event_id
            try:
                response = _exchange(target, method, body, headers, deadline, context, max_response_bytes)
            except (_DeadlineError, OSError, http.client.HTTPException) as exc:
                return result(*_network_error(exc, deadline))
            status, snippet = response.status, response.snippet
            if status not in REDIRECT_STATUSES or not response.location:
                return result()
            if len(visited) > max_redirects:
                return result("too_many_redirects", f"more than {max_redirects} redirects")
            next_url = urljoin(target.url, response.location)
            if target.scheme == "https" and next_url.lower().startswith("http://"):
                return result("redirect_downgrade", f"redirect from https to plain http refused: {next_url}")
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = "GET", b""
                caller_headers = {k: v for k, v in caller_headers.items() if k.lower() != "content-type"}
            url = next_url
