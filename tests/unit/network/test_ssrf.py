"""The SSRF guard: every spelling of a non-public target is refused, public ones pass, and the send-time check
pins one address. No test reaches external DNS: literals need none, name rules refuse before resolving, and
resolution is exercised with a stub resolver or with ``localhost`` from /etc/hosts."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

import pytest

from network.outbound.ssrf import (
    MAX_URL_LENGTH,
    AllowList,
    IPAddress,
    Resolver,
    SsrfCode,
    SsrfError,
    check_url,
    forbidden_reason,
    resolve_pinned,
    system_resolver,
)

NONE = AllowList()
BLOCKED_ADDRESS = SsrfCode.BLOCKED_ADDRESS
BLOCKED_HOST = SsrfCode.BLOCKED_HOST
BAD_HOST = SsrfCode.BAD_HOST
BAD_URL = SsrfCode.BAD_URL
BAD_SCHEME = SsrfCode.BAD_SCHEME


def no_dns(host: str, port: int) -> list[IPAddress]:
    raise AssertionError(f"the guard tried to resolve {host!r}: this case must be decided without DNS")


class StubResolver:
    """Answers from a table; a list of answers per name is served in turn (the last one repeats)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.calls.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        turns = self.answers[host]
        answer = turns[min(self.calls.count(host), len(turns)) - 1]
        return [ipaddress.ip_address(a) for a in answer]


def refused(url: str, *, allow: AllowList = NONE, resolver: Resolver = no_dns) -> SsrfError:
    with pytest.raises(SsrfError) as caught:
        check_url(url, allow=allow, resolver=resolver)
    return caught.value


BYPASSES = [
    # IPv4 loopback in every spelling browsers and getaddrinfo accept
    ("http://127.0.0.1/", BLOCKED_ADDRESS),
    ("http://127.0.0.1:8080/pb?x=1", BLOCKED_ADDRESS),
    ("HTTP://127.0.0.1/", BLOCKED_ADDRESS),
    ("https://127.0.0.1:443/", BLOCKED_ADDRESS),
    ("http://127.0.0.1./", BLOCKED_ADDRESS),
    ("http://2130706433/", BLOCKED_ADDRESS),
    ("http://017700000001/", BLOCKED_ADDRESS),
    ("http://0x7f000001/", BLOCKED_ADDRESS),
    ("http://0177.0.0.1/", BLOCKED_ADDRESS),
    ("http://0x7f.1/", BLOCKED_ADDRESS),
    ("http://0X7F.0x0.0x0.0x1/", BLOCKED_ADDRESS),
    ("http://127.1/", BLOCKED_ADDRESS),
    ("http://127.0.1/", BLOCKED_ADDRESS),
    ("http://0x7f.1.:80/", BLOCKED_ADDRESS),
    # the rest of the non-public IPv4 space
    ("http://0/", BLOCKED_ADDRESS),
    ("http://0.0.0.0/", BLOCKED_ADDRESS),
    ("http://10.0.0.5/", BLOCKED_ADDRESS),
    ("http://172.16.0.1/", BLOCKED_ADDRESS),
    ("http://172.31.255.255/", BLOCKED_ADDRESS),
    ("http://192.168.1.1/", BLOCKED_ADDRESS),
    ("http://100.64.0.1/", BLOCKED_ADDRESS),
    ("http://169.254.169.254/latest/meta-data/", BLOCKED_ADDRESS),
    ("http://169.254.0.1/", BLOCKED_ADDRESS),
    ("http://224.0.0.1/", BLOCKED_ADDRESS),
    ("http://255.255.255.255/", BLOCKED_ADDRESS),
    ("http://240.0.0.1/", BLOCKED_ADDRESS),
    ("http://198.18.0.1/", BLOCKED_ADDRESS),
    ("http://192.0.2.10/", BLOCKED_ADDRESS),
    ("http://192.0.0.8/", BLOCKED_ADDRESS),
    ("http://192.88.99.1/", BLOCKED_ADDRESS),
    # IPv6 literals and IPv6 forms that carry a private IPv4 address
    ("http://[::1]/", BLOCKED_ADDRESS),
    ("http://[::1]:8080/", BLOCKED_ADDRESS),
    ("http://[0:0:0:0:0:0:0:1]/", BLOCKED_ADDRESS),
    ("http://[::]/", BLOCKED_ADDRESS),
    ("http://[::ffff:127.0.0.1]/", BLOCKED_ADDRESS),
    ("http://[::ffff:7f00:1]/", BLOCKED_ADDRESS),
    ("http://[::ffff:10.0.0.5]/", BLOCKED_ADDRESS),
    ("http://[::ffff:169.254.169.254]/", BLOCKED_ADDRESS),
    ("http://[::ffff:0:7f00:1]/", BLOCKED_ADDRESS),
    ("http://[::127.0.0.1]/", BLOCKED_ADDRESS),
    ("http://[::8.8.8.8]/", BLOCKED_ADDRESS),
    ("http://[64:ff9b::a9fe:a9fe]/", BLOCKED_ADDRESS),
    ("http://[64:ff9b::10.0.0.1]/", BLOCKED_ADDRESS),
    ("http://[64:ff9b:1::808:808]/", BLOCKED_ADDRESS),
    ("http://[2002:7f00:1::1]/", BLOCKED_ADDRESS),
    ("http://[2002:a00:1::]/", BLOCKED_ADDRESS),
    ("http://[2002:a9fe:a9fe::1]/", BLOCKED_ADDRESS),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", BLOCKED_ADDRESS),
    ("http://[fe80::1]/", BLOCKED_ADDRESS),
    ("http://[fe80::1%25eth0]/", BLOCKED_ADDRESS),
    ("http://[fc00::1]/", BLOCKED_ADDRESS),
    ("http://[fd00:ec2::254]/latest/meta-data/", BLOCKED_ADDRESS),
    ("http://[fec0::1]/", BLOCKED_ADDRESS),
    ("http://[ff02::1]/", BLOCKED_ADDRESS),
    ("http://[2001:db8::1]/", BLOCKED_ADDRESS),
    ("http://[3fff::1]/", BLOCKED_ADDRESS),
    ("http://[100::1]/", BLOCKED_ADDRESS),
    # names that only exist inside a network, and names that spell a private address
    ("http://localhost/", BLOCKED_HOST),
    ("http://localhost:8000/pb", BLOCKED_HOST),
    ("http://LOCALHOST./", BLOCKED_HOST),
    ("http://api.localhost/", BLOCKED_HOST),
    ("http://tenant.app.localhost./", BLOCKED_HOST),
    ("http://printer.local/", BLOCKED_HOST),
    ("http://db.internal/", BLOCKED_HOST),
    ("http://metadata.google.internal/computeMetadata/v1/", BLOCKED_HOST),
    ("http://metadata.google.internal./", BLOCKED_HOST),
    ("http://metadata/", BLOCKED_HOST),
    ("http://instance-data/latest/", BLOCKED_HOST),
    ("http://kubernetes/", BLOCKED_HOST),
    ("http://router.lan/", BLOCKED_HOST),
    ("http://nas.home.arpa/", BLOCKED_HOST),
    ("http://1.0.0.127.in-addr.arpa/", BLOCKED_HOST),
    ("http://127.0.0.1.nip.io/", BLOCKED_HOST),
    ("http://app.10.0.0.1.nip.io/", BLOCKED_HOST),
    ("http://10-0-0-1.sslip.io/", BLOCKED_HOST),
    ("http://www-169-254-169-254.sslip.io/", BLOCKED_HOST),
    # syntax tricks
    ("http://evil.example\\@127.0.0.1/", BAD_URL),
    ("http://127.0.0.1\t/", BAD_URL),
    ("http://\uff11\uff12\uff17.0.0.1/", BAD_URL),
    ("http://user:pass@example.com/", SsrfCode.USERINFO),
    ("http://127.0.0.1:80@evil.example/", SsrfCode.USERINFO),
    ("http://%31%32%37.0.0.1/", BAD_HOST),
    ("http://[v1.fe80::1]/", BAD_HOST),
    ("http://1.2.3.4.5/", BAD_HOST),
    ("http://{sub1}.example.com/pb", BAD_HOST),
    ("http://134744072/", BAD_HOST),  # 8.8.8.8, but spelled so that only some parsers agree
    ("http:///127.0.0.1/", BAD_HOST),
    ("http://::1/", BAD_HOST),
    ("http://8.8.8.8:0/", SsrfCode.BAD_PORT),
    ("http://8.8.8.8:65536/", SsrfCode.BAD_PORT),
    ("http://8.8.8.8:{port}/", SsrfCode.BAD_PORT),
    ("file:///etc/passwd", BAD_SCHEME),
    ("gopher://127.0.0.1:6379/_INFO", BAD_SCHEME),
    ("javascript:alert(1)", BAD_SCHEME),
    ("//127.0.0.1/", BAD_SCHEME),
    ("ftp://8.8.8.8/", BAD_SCHEME),
]


@pytest.mark.parametrize(("url", "code"), BYPASSES, ids=[u for u, _ in BYPASSES])
def test_save_time_refuses(url: str, code: SsrfCode) -> None:
    error = refused(url)
    assert error.code == code, error.message
    assert error.message and str(error) == error.message


def test_the_bypass_table_is_large() -> None:
    assert len(BYPASSES) >= 40


ALLOWED = [
    ("http://93.184.216.34/", "93.184.216.34", 80, "/"),
    (
        "https://8.8.8.8/pb?click_id={click_id}&payout={payout}",
        "8.8.8.8",
        443,
        "/pb?click_id={click_id}&payout={payout}",
    ),
    ("http://1.1.1.1:8080/p?a=b#fragment", "1.1.1.1", 8080, "/p?a=b"),
    ("HTTP://8.8.4.4", "8.8.4.4", 80, "/"),
    ("http://8.8.8.8./x", "8.8.8.8", 80, "/x"),
    ("http://[2001:4860:4860::8888]/", "2001:4860:4860::8888", 80, "/"),
    ("https://[2606:4700:4700::1111]:8443/x", "2606:4700:4700::1111", 8443, "/x"),
    ("http://[::ffff:8.8.8.8]/", "::ffff:808:808", 80, "/"),
    ("http://[64:ff9b::808:808]/", "64:ff9b::808:808", 80, "/"),
    ("http://[2002:808:808::1]/", "2002:808:808::1", 80, "/"),
]


@pytest.mark.parametrize(("url", "host", "port", "path"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_save_time_accepts_public_literals(url: str, host: str, port: int, path: str) -> None:
    target = check_url(url, allow=NONE, resolver=no_dns)
    assert (target.host, target.port, target.path_and_query) == (host, port, path)
    assert target.addresses == (ipaddress.ip_address(host),)


def test_long_urls_are_refused() -> None:
    url = "http://8.8.8.8/?" + "a" * (MAX_URL_LENGTH - len("http://8.8.8.8/?") + 1)
    assert refused(url).code == BAD_URL
    check_url(url[:-1], allow=NONE, resolver=no_dns)


# --- address classification on ipaddress objects ----------------------------------------------------------

# ipaddress.is_global says True for each of these on CPython 3.11; the guard must not.
QUIRKS = [
    "224.0.0.1",
    "192.88.99.1",
    "192.0.0.9",
    "::7f00:1",
    "::8.8.8.8",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
    "2002:c0a8:101::1",
    "3fff::1",
    "4000::1",
]
NON_PUBLIC = [
    *QUIRKS,
    "100.64.0.1",
    "100.127.255.254",
    "169.254.169.254",
    "198.19.255.255",
    "203.0.113.7",
    "198.51.100.7",
    "0.1.2.3",
    "::ffff:192.168.0.1",
    "::ffff:100.64.0.1",
    "fd00:ec2::254",
    "fe80::1%eth0",
    "2001::1",
    "2001:2::1",
    "ff05::1",
    "::",
]
PUBLIC = ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


def test_reasons_name_the_range() -> None:
    assert forbidden_reason(ipaddress.ip_address("169.254.169.254")) == "cloud metadata service"
    assert forbidden_reason(ipaddress.ip_address("fd00:ec2::254")) == "cloud metadata service"
    assert forbidden_reason(ipaddress.ip_address("::ffff:10.1.2.3")) == "IPv4-mapped private network"
    assert (
        forbidden_reason(ipaddress.ip_address("64:ff9b::a9fe:a9fe"))
        == "NAT64-embedded cloud metadata service"
    )
    assert forbidden_reason(ipaddress.ip_address("2002:7f00:1::1")) == "6to4-embedded loopback"
    assert forbidden_reason(ipaddress.ip_address("100.64.0.1")) == "carrier-grade NAT (shared address space)"


# --- names: resolution at save time -----------------------------------------------------------------------


def test_a_name_is_checked_by_every_address_it_resolves_to() -> None:
    resolver = StubResolver(
        {
            "tracker.example": [["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]],
            "mixed.example": [["93.184.216.34", "10.0.0.1"]],
            "mapped.example": [["::ffff:127.0.0.1"]],
            "metadata.example": [["169.254.169.254"]],
            "nothing.example": [[]],
        }
    )
    target = check_url("https://tracker.example/pb?cid={click_id}", allow=NONE, resolver=resolver)
    assert target.host == "tracker.example" and len(target.addresses) == 2
    assert target.url == "https://tracker.example/pb?cid={click_id}"
    for name in ("mixed.example", "mapped.example", "metadata.example"):
        error = refused(f"http://{name}/", resolver=resolver)
        assert error.code == BLOCKED_ADDRESS and f"{name} resolves to" in error.message
    assert refused("http://nothing.example/", resolver=resolver).code == SsrfCode.UNRESOLVABLE


def test_unresolvable_names_are_refused_unless_asked_not_to() -> None:
    resolver = StubResolver({})
    error = refused("https://gone.example/pb", resolver=resolver)
    assert error.code == SsrfCode.UNRESOLVABLE and "gone.example" in error.message
    target = check_url("https://gone.example/pb", allow=NONE, resolver=resolver, require_resolvable=False)
    assert target.addresses == () and target.host == "gone.example"


def test_trailing_dot_names_are_the_same_name() -> None:
    resolver = StubResolver({"tracker.example": [["93.184.216.34"]]})
    assert check_url("http://Tracker.Example./", allow=NONE, resolver=resolver).host == "tracker.example"


def test_localhost_through_the_system_resolver() -> None:
    # A name entry lifts the name rule only; what localhost resolves to is still checked.
    error = refused("http://localhost:8080/", allow=AllowList("localhost"), resolver=system_resolver)
    assert error.code == BLOCKED_ADDRESS and "localhost resolves to" in error.message
    target = check_url("http://localhost:8080/", allow=AllowList("localhost, 127.0.0.0/8, ::1"))
    assert target.addresses and all(a.is_loopback for a in target.addresses)


# --- the allowlist ----------------------------------------------------------------------------------------


def test_allowlist_entries() -> None:
    allow = AllowList(" 127.0.0.1:8080, [::1]:9000 ,, 10.0.0.0/8, ::2, sink.internal:8443, Hook.Internal. ")
    assert allow and not AllowList() and not AllowList(" , ")
    loop4, loop6 = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")
    assert allow.permits_address(loop4, 8080) and not allow.permits_address(loop4, 8081)
    assert allow.permits_address(loop6, 9000) and not allow.permits_address(loop6, 8080)
    assert allow.permits_address(ipaddress.ip_address("::ffff:127.0.0.1"), 8080)
    assert allow.permits_address(ipaddress.ip_address("10.9.8.7"), 1)
    assert allow.permits_address(ipaddress.ip_address("::2"), 1)
    assert not allow.permits_address(ipaddress.ip_address("169.254.169.254"), 80)
    assert allow.permits_name("sink.internal", 8443) and not allow.permits_name("sink.internal", 443)
    assert allow.permits_name("hook.internal", 1)
    assert AllowList("127.0.0.1") == AllowList("127.0.0.1")


@pytest.mark.parametrize(
    "spec",
    ["127.0.0.1:0", "127.0.0.1:x", "[::1", "[::1]x", "not a host", "10.0.0.0/33", "fe80::1%eth0", "0x7f.1"],
)
def test_allowlist_rejects_nonsense_at_start_up(spec: str) -> None:
    with pytest.raises(ValueError, match="CPANET_OUTBOUND_ALLOWLIST"):
        AllowList(spec)


def test_allowlist_with_a_port_allows_that_port_only() -> None:
    allow = AllowList("127.0.0.1:8080")
    assert check_url("http://127.0.0.1:8080/pb", allow=allow, resolver=no_dns).port == 8080
    assert refused("http://127.0.0.1:8081/pb", allow=allow).code == BLOCKED_ADDRESS
    assert refused("http://[::1]:8080/pb", allow=allow).code == BLOCKED_ADDRESS
    assert refused("http://localhost:8080/pb", allow=allow).code == BLOCKED_HOST
    assert refused("http://169.254.169.254:8080/", allow=allow).code == BLOCKED_ADDRESS


def test_allowlist_lifts_only_the_address_rules() -> None:
    allow = AllowList("127.0.0.0/8")
    assert refused("ftp://127.0.0.1/", allow=allow).code == BAD_SCHEME
    assert refused("http://u:p@127.0.0.1/", allow=allow).code == SsrfCode.USERINFO
    # an allowed address in a spelling only some parsers share is still refused
    assert refused("http://0x7f.1/", allow=allow).code == BAD_HOST
    check_url("http://127.0.0.1/", allow=allow, resolver=no_dns)


def test_a_name_entry_does_not_trust_dns() -> None:
    resolver = StubResolver({"sink.internal": [["169.254.169.254"]], "hook.internal": [["93.184.216.34"]]})
    allow = AllowList("sink.internal, hook.internal")
    assert refused("http://sink.internal/", allow=allow, resolver=resolver).code == BLOCKED_ADDRESS
    assert check_url("http://hook.internal/", allow=allow, resolver=resolver).host == "hook.internal"
    assert refused("http://other.internal/", allow=allow, resolver=resolver).code == BLOCKED_HOST


# --- send time: pinning -----------------------------------------------------------------------------------


def test_pinning_resolves_once_and_keeps_the_name() -> None:
    resolver = StubResolver({"tracker.example": [["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]]})
    pinned = resolve_pinned("https://tracker.example:8443/pb?cid=abc#x", allow=NONE, resolver=resolver)
    assert resolver.calls == ["tracker.example"]
    assert (pinned.scheme, pinned.host, pinned.port, pinned.path_and_query) == (
        "https",
        "tracker.example",
        8443,
        "/pb?cid=abc",
    )
    assert pinned.ip == ipaddress.ip_address("93.184.216.34")
    assert pinned.url == "https://tracker.example:8443/pb?cid=abc"


def test_dns_rebinding_between_save_and_send_is_caught_at_send() -> None:
    resolver = StubResolver({"rebind.example": [["93.184.216.34"], ["127.0.0.1"]]})
    check_url("http://rebind.example/pb", allow=NONE, resolver=resolver)
    with pytest.raises(SsrfError) as caught:
        resolve_pinned("http://rebind.example/pb", allow=NONE, resolver=resolver)
    assert caught.value.code == BLOCKED_ADDRESS


def test_send_time_refuses_any_forbidden_address_and_unresolvable_names() -> None:
    resolver = StubResolver({"mixed.example": [["93.184.216.34", "10.0.0.1"]]})
    for url, code in (
        ("http://mixed.example/", BLOCKED_ADDRESS),
        ("http://gone.example/", SsrfCode.UNRESOLVABLE),
        ("http://169.254.169.254/", BLOCKED_ADDRESS),
        ("http://metadata.google.internal/", BLOCKED_HOST),
    ):
        with pytest.raises(SsrfError) as caught:
            resolve_pinned(url, allow=NONE, resolver=resolver)
        assert caught.value.code == code


def test_mapped_answers_are_dialled_as_ipv4() -> None:
    resolver = StubResolver({"v6only.example": [["::ffff:8.8.8.8"]]})
    pinned = resolve_pinned("http://v6only.example/", allow=NONE, resolver=resolver)
    assert pinned.ip == ipaddress.ip_address("8.8.8.8")


def test_send_time_allows_longer_urls_than_save_time() -> None:
    url = "http://8.8.8.8/?" + "a" * 3000
    assert refused(url).code == BAD_URL
    assert resolve_pinned(url, allow=NONE, resolver=no_dns).ip == ipaddress.ip_address("8.8.8.8")
