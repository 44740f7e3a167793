"""Delivery against real receivers on loopback (http.server in a thread), and the signature recipe.

Nothing here leaves the machine: the receivers listen on 127.0.0.1, names are answered by a stub resolver,
and the refused targets (169.254.169.254, [::1]) are refused before any connection is made."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs, urlsplit

import pytest

from network.outbound.http import OutboundRequest, deliver
from network.outbound.signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    canonical_string,
    sign,
    signature_headers,
    verify,
)
from network.outbound.ssrf import AllowList, IPAddress

SECRET = b"whsec-test-3f9a"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads

    receiver: Receiver


class _Handler(BaseHTTPRequestHandler):
    """Routes on the last path segment: ok, redirect?to=&code=, loop?n=, sleep, drip, big, latin1."""

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        receiver = cast(_Server, self.server).receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        receiver.seen.append(Seen(self.command, self.path, headers, body))
        parts = urlsplit(self.path)
        route, query = parts.path.rsplit("/", 1)[-1], parse_qs(parts.query)
        try:
            if route == "redirect":
                self._send(int(query.get("code", ["302"])[0]), b"", location=query["to"][0])
            elif route == "loop":
                n = int(query.get("n", ["0"])[0])
                self._send(302, b"", location=f"/loop?n={n + 1}")
            elif route == "sleep":
                receiver.release.wait(10)
                self._send(200, b"late")
            elif route == "drip":
                # A status line, then one header byte every 100 ms: each read gets data in time, only a
                # deadline for the whole delivery stops it.
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _ in range(100):
                    if receiver.release.wait(0.1):
                        break
                    self.wfile.write(b"X")
            elif route == "big":
                self._send(200, b"a" * 1_000_000)
            elif route == "latin1":
                self._send(
                    200, "caf\u00e9 ok".encode("latin-1"), content_type="text/plain; charset=iso-8859-1"
                )
            elif route == "badutf8":
                self._send(200, b"ok \xff\xfe")
            elif route == "charset":
                self._send(200, b"b2s=", content_type=f"text/plain; charset={query['c'][0]}")
            else:
                self._send(200, b"ok")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout tests): nothing to answer

    def _send(
        self, status: int, body: bytes, *, location: str | None = None, content_type: str = "text/plain"
    ) -> None:
        self.send_response(status)
        if location is not None:
            self.send_header("Location", location)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Receiver:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[Seen] = []
        self.release = threading.Event()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.receiver = self
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def only(r: Receiver) -> AllowList:
    """Exactly the receiver's address and port: a redirect anywhere else on loopback is refused."""
    return AllowList(f"127.0.0.1:{r.port}")


def event_id() -> str:
    return str(uuid.uuid4())


class StubResolver:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.calls.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        # a rebinding server: the first answer for the check, the next ones for anyone who asks again
        answer = self.answers[host][min(self.calls.count(host), len(self.answers[host])) - 1]
        return [ipaddress.ip_address(answer)]


# --- the guard at send time -------------------------------------------------------------------------------


def test_loopback_receiver_is_refused_without_the_allowlist(receiver: Receiver) -> None:
    result = deliver(OutboundRequest(receiver.url("/ok"), event_id()), allow=AllowList())
    assert result.error_code == "ssrf_blocked_address" and result.status is None and not result.ok
    assert result.final_url == receiver.url("/ok") and result.visited == ()
    assert receiver.seen == []


def test_allowlisted_receiver_is_reached(receiver: Receiver) -> None:
    eid = event_id()
    result = deliver(
        OutboundRequest(receiver.url("/ok?cid=abc&payout=1.50"), eid), allow=AllowList("127.0.0.1")
    )
    assert result.ok and result.status == 200 and result.snippet == "ok" and result.error_code is None
    assert result.redirects == 0 and result.final_url == receiver.url("/ok?cid=abc&payout=1.50")
    assert 0 < result.latency_ms < 5000
    [seen] = receiver.seen
    assert (seen.method, seen.path) == ("GET", "/ok?cid=abc&payout=1.50")
    assert seen.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert seen.headers[EVENT_ID_HEADER] == eid and SIGNATURE_HEADER not in seen.headers


def test_connection_goes_to_the_pinned_address_and_the_name_is_resolved_once(receiver: Receiver) -> None:
    # After the first answer the name points at the metadata service: only a client that resolves again
    # would go there.
    resolver = StubResolver({"receiver.test": ["127.0.0.1", "169.254.169.254"]})
    result = deliver(
        OutboundRequest(f"http://receiver.test:{receiver.port}/ok", event_id()),
        allow=only(receiver),
        resolver=resolver,
    )
    assert result.ok, result.error_message
    assert resolver.calls == ["receiver.test"]
    assert receiver.seen[0].headers["Host"] == f"receiver.test:{receiver.port}"


def test_redirect_to_the_metadata_service_is_refused(receiver: Receiver) -> None:
    url = receiver.url("/redirect?to=http://169.254.169.254/latest/meta-data/")
    result = deliver(OutboundRequest(url, event_id()), allow=only(receiver))
    assert result.error_code == "ssrf_blocked_address" and result.status == 302 and not result.ok
    assert "169.254.169.254" in (result.error_message or "")
    assert result.visited == (url,) and result.redirects == 0
    assert len(receiver.seen) == 1


def test_redirect_to_ipv6_loopback_is_refused(receiver: Receiver) -> None:
    url = receiver.url(f"/redirect?to=http://[::1]:{receiver.port}/ok")
    result = deliver(OutboundRequest(url, event_id()), allow=only(receiver))
    assert result.error_code == "ssrf_blocked_address" and result.status == 302
    assert len(receiver.seen) == 1


def test_redirect_to_another_loopback_port_needs_its_own_entry(
    receiver: Receiver, other_receiver: Receiver
) -> None:
    url = receiver.url(f"/redirect?to={other_receiver.url('/ok')}")
    request = OutboundRequest(url, event_id(), headers={"Authorization": "Bearer wm-token"})
    refused = deliver(request, allow=only(receiver))
    assert refused.error_code == "ssrf_blocked_address" and other_receiver.seen == []
    # an address entry without a port allows every port
    followed = deliver(request, allow=AllowList("127.0.0.1"))
    assert followed.ok and followed.redirects == 1 and followed.final_url == other_receiver.url("/ok")
    assert receiver.seen[-1].headers["Authorization"] == "Bearer wm-token"
    [seen] = other_receiver.seen
    assert "Authorization" not in seen.headers  # credentials do not follow a redirect to another origin


def test_relative_redirects_are_followed(receiver: Receiver) -> None:
    absolute_path = deliver(
        OutboundRequest(receiver.url("/redirect?to=/ok%3Fvia%3Dabsolute"), event_id()), allow=only(receiver)
    )
    assert absolute_path.ok and absolute_path.final_url == receiver.url("/ok?via=absolute")
    relative = deliver(OutboundRequest(receiver.url("/a/b/redirect?to=ok"), event_id()), allow=only(receiver))
    assert relative.ok and relative.final_url == receiver.url("/a/b/ok") and relative.redirects == 1
    assert relative.visited == (receiver.url("/a/b/redirect?to=ok"), receiver.url("/a/b/ok"))


def test_too_many_redirects(receiver: Receiver) -> None:
    result = deliver(
        OutboundRequest(receiver.url("/loop?n=0"), event_id()), allow=only(receiver), max_redirects=3
    )
    assert result.error_code == "too_many_redirects" and result.status == 302
    assert result.redirects == 3 and len(receiver.seen) == 4
    assert result.final_url == receiver.url("/loop?n=3")


def test_post_body_survives_307_and_becomes_get_on_303(receiver: Receiver) -> None:
    body = b"click_id=abc&payout=1.50"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    kept = deliver(
        OutboundRequest(receiver.url("/redirect?code=307&to=/ok"), event_id(), "POST", body, headers, SECRET),
        allow=only(receiver),
    )
    assert kept.ok
    first, second = receiver.seen
    assert (second.method, second.body) == ("POST", body)
    # every hop is signed for its own URL
    assert verify(SECRET, second.headers, "POST", receiver.url("/ok"), body, now=time.time())
    assert verify(
        SECRET, first.headers, "POST", receiver.url("/redirect?code=307&to=/ok"), body, now=time.time()
    )
    assert first.headers[EVENT_ID_HEADER] == second.headers[EVENT_ID_HEADER]

    changed = deliver(
        OutboundRequest(receiver.url("/redirect?code=303&to=/ok"), event_id(), "POST", body, headers, SECRET),
        allow=only(receiver),
    )
    assert changed.ok
    third = receiver.seen[-1]
    assert (third.method, third.body) == ("GET", b"") and "Content-Type" not in third.headers
    assert verify(SECRET, third.headers, "GET", receiver.url("/ok"), b"", now=time.time())


# --- failures are results, not exceptions -----------------------------------------------------------------


def test_a_receiver_that_never_answers_times_out(receiver: Receiver) -> None:
    result = deliver(OutboundRequest(receiver.url("/sleep"), event_id()), allow=only(receiver), timeout=0.5)
    assert result.error_code == "timeout" and result.status is None and not result.ok
    assert 450 <= result.latency_ms < 3000


def test_the_deadline_covers_the_whole_delivery_not_each_read(receiver: Receiver) -> None:
    result = deliver(OutboundRequest(receiver.url("/drip"), event_id()), allow=only(receiver), timeout=1.0)
    assert result.error_code == "timeout"
    assert 950 <= result.latency_ms < 3000


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = deliver(OutboundRequest(f"http://127.0.0.1:{port}/", event_id()), allow=AllowList("127.0.0.1"))
    assert result.error_code == "connection_refused" and result.status is None


def test_unresolvable_at_send_time() -> None:
    result = deliver(
        OutboundRequest("http://gone.example/pb", event_id()), allow=AllowList(), resolver=StubResolver({})
    )
    assert result.error_code == "ssrf_unresolvable" and result.status is None


def test_large_and_oddly_encoded_responses(receiver: Receiver) -> None:
    big = deliver(
        OutboundRequest(receiver.url("/big"), event_id()), allow=only(receiver), max_response_bytes=4096
    )
    assert big.ok and big.snippet == "a" * 512
    latin = deliver(OutboundRequest(receiver.url("/latin1"), event_id()), allow=only(receiver))
    assert latin.snippet == "caf\u00e9 ok"
    bad = deliver(OutboundRequest(receiver.url("/badutf8"), event_id()), allow=only(receiver))
    assert bad.ok and bad.snippet.startswith("ok ") and "\ufffd" in bad.snippet
    for charset in ("base64", "rot13", "no-such-charset"):
        odd = deliver(
            OutboundRequest(receiver.url(f"/charset?c={charset}"), event_id()), allow=only(receiver)
        )
        assert odd.ok and odd.snippet == "b2s=", charset


def test_request_validation() -> None:
    with pytest.raises(ValueError, match="no body"):
        OutboundRequest("http://8.8.8.8/", event_id(), "GET", b"x")
    with pytest.raises(ValueError, match="event_id"):
        OutboundRequest("http://8.8.8.8/", "evt\r\nX-Injected: 1")
    with pytest.raises(ValueError, match="GET or POST"):
        OutboundRequest("http://8.8.8.8/", event_id(), "DELETE")
    for name, value in (("Host", "internal"), ("X-Cpanet-Signature", "v1=0"), ("X-A", "a\r\nB: c")):
        with pytest.raises(ValueError, match="header"):
            OutboundRequest("http://8.8.8.8/", event_id(), headers={name: value})


# --- HTTPS: connect to the pinned IP, verify the certificate for the name --------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=receiver.test"),
            *("-addext", "subjectAltName=DNS:receiver.test"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[tuple[Receiver, list[str | None]]]:
    cert, key = certificate
    server_names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    r = Receiver(tls=context)
    yield r, server_names
    r.close()


def test_https_sends_sni_and_verifies_the_name_while_connecting_to_the_pinned_ip(
    tls_receiver: tuple[Receiver, list[str | None]], certificate: tuple[Path, Path]
) -> None:
    receiver, server_names = tls_receiver
    client = ssl.create_default_context(cafile=str(certificate[0]))
    resolver = StubResolver({"receiver.test": ["127.0.0.1"], "impostor.test": ["127.0.0.1"]})
    url = f"https://receiver.test:{receiver.port}/ok"
    result = deliver(
        OutboundRequest(url, event_id(), secret=SECRET),
        allow=only(receiver),
        resolver=resolver,
        ssl_context=client,
    )
    assert result.ok, result.error_message
    assert server_names == ["receiver.test"]
    [seen] = receiver.seen
    assert seen.headers["Host"] == f"receiver.test:{receiver.port}"
    assert verify(SECRET, seen.headers, "GET", url, b"", now=time.time())

    wrong_name = deliver(
        OutboundRequest(f"https://impostor.test:{receiver.port}/ok", event_id()),
        allow=only(receiver),
        resolver=resolver,
        ssl_context=client,
    )
    assert wrong_name.error_code == "tls_certificate" and wrong_name.status is None


def test_https_to_http_redirects_are_refused(
    tls_receiver: tuple[Receiver, list[str | None]], certificate: tuple[Path, Path], receiver: Receiver
) -> None:
    secure, _ = tls_receiver
    client = ssl.create_default_context(cafile=str(certificate[0]))
    resolver = StubResolver({"receiver.test": ["127.0.0.1"]})
    result = deliver(
        OutboundRequest(f"https://receiver.test:{secure.port}/redirect?to={receiver.url('/ok')}", event_id()),
        allow=AllowList("127.0.0.1"),
        resolver=resolver,
        ssl_context=client,
    )
    assert result.error_code == "redirect_downgrade" and result.status == 302
    assert receiver.seen == []


# --- signatures -------------------------------------------------------------------------------------------


def test_the_canonical_string_is_the_documented_one() -> None:
    empty = hashlib.sha256(b"").hexdigest()
    assert empty.startswith("e3b0c442")
    assert canonical_string(1_700_000_000, "get", "https://t.example/pb?x=1", b"", event_id="evt-1") == (
        f"1700000000.evt-1.GET.https://t.example/pb?x=1.{empty}".encode()
    )
    # a fixed vector, so that a change of format cannot go unnoticed (docs/outbound.md quotes it)
    assert sign(b"secret", 1_700_000_000, "GET", "https://t.example/pb?x=1", b"", event_id="evt-1") == (
        "b2e52559b601b0c8fc5d803104cd1c8279abf20ef4fd394c13fd7be6efdc5ea2"
    )


def test_signed_delivery_verifies_and_tampering_does_not(receiver: Receiver) -> None:
    url = receiver.url("/ok?cid=abc")
    body = b'{"conversion_id": 42}'
    result = deliver(
        OutboundRequest(url, event_id(), "POST", body, {"Content-Type": "application/json"}, SECRET),
        allow=only(receiver),
    )
    assert result.ok
    [seen] = receiver.seen
    headers = seen.headers
    assert {EVENT_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER} <= set(headers)
    assert headers[SIGNATURE_HEADER].startswith("v1=") and len(headers[SIGNATURE_HEADER]) == 3 + 64
    signed_at = int(headers[TIMESTAMP_HEADER])
    assert abs(signed_at - time.time()) < 5

    assert verify(SECRET, headers, "POST", url, seen.body, now=time.time())
    assert verify(SECRET, {k.lower(): v for k, v in headers.items()}, "post", url, seen.body, now=signed_at)
    assert not verify(SECRET, headers, "POST", url, body + b" ", now=time.time())
    assert not verify(SECRET, headers, "POST", url + "&payout=9999", seen.body, now=time.time())
    assert not verify(SECRET, headers, "GET", url, seen.body, now=time.time())
    assert not verify(b"another-secret", headers, "POST", url, seen.body, now=time.time())
    assert verify(SECRET, headers, "POST", url, seen.body, now=signed_at + 300)
    assert not verify(SECRET, headers, "POST", url, seen.body, now=signed_at + 301)
    assert not verify(SECRET, headers, "POST", url, seen.body, now=signed_at - 301)
    replayed = {**headers, EVENT_ID_HEADER: event_id()}
    assert not verify(SECRET, replayed, "POST", url, seen.body, now=time.time())
    for missing in (EVENT_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER):
        assert not verify(
            SECRET, {k: v for k, v in headers.items() if k != missing}, "POST", url, body, now=0
        )


def test_rotation_sends_two_signatures_and_either_verifies() -> None:
    url, eid, ts = "https://t.example/pb", "evt-2", 1_700_000_000
    old = signature_headers(b"old", "GET", url, b"", event_id=eid, timestamp=ts)
    new = signature_headers(b"new", "GET", url, b"", event_id=eid, timestamp=ts)
    both = {**new, SIGNATURE_HEADER: f"{old[SIGNATURE_HEADER]}, {new[SIGNATURE_HEADER]}"}
    assert verify(b"old", both, "GET", url, b"", now=ts) and verify(b"new", both, "GET", url, b"", now=ts)
    assert not verify(b"other", both, "GET", url, b"", now=ts)
    garbage = {**new, SIGNATURE_HEADER: "v1=zz, v0=abc, v1=" + "\u00e9" * 64}
    assert not verify(b"new", garbage, "GET", url, b"", now=ts)


def _documented_recipe() -> Callable[..., bool]:
    text = (Path(__file__).resolve().parents[3] / "docs" / "outbound.md").read_text()
    [block] = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(block, "docs/outbound.md", "exec"), namespace)  # noqa: S102 - our own documentation
    return cast(Callable[..., bool], namespace["verify_cpanet_postback"])


def test_the_documented_recipe_verifies_real_deliveries(receiver: Receiver) -> None:
    recipe = _documented_recipe()
    url = receiver.url("/ok?cid=abc&sub1=a%26b")
    body = b"payout=1.50"
    result = deliver(OutboundRequest(url, event_id(), "POST", body, secret=SECRET), allow=only(receiver))
    assert result.ok
    [seen] = receiver.seen
    assert recipe(SECRET, seen.headers, "POST", url, seen.body)
    assert not recipe(SECRET, seen.headers, "POST", url, seen.body + b"0")
    assert not recipe(b"wrong", seen.headers, "POST", url, seen.body)
    assert not recipe(SECRET, seen.headers, "POST", url, seen.body, now=time.time() + 301)
    assert recipe(
        b"secret",
        signature_headers(
            b"secret", "GET", "https://t.example/pb?x=1", b"", event_id="evt-1", timestamp=1_700_000_000
        ),
        "GET",
        "https://t.example/pb?x=1",
        b"",
        now=1_700_000_000,
    )
