"""SSRF guard for URLs that cpanet requests on a user's behalf (outgoing postbacks to webmasters).

Two entry points, one policy (docs/outbound.md):

- ``check_url`` at save time: is this URL acceptable at all? Refuses bad schemes, userinfo, private host
  names and every spelling of a non-public address, and (by default) names that do not resolve or that
  resolve to any non-public address.
- ``resolve_pinned`` at send time: the same checks on the final URL (macros expanded, or a redirect's
  Location), resolved exactly once; the caller connects to the returned IP and never resolves the name
  again, so a DNS answer that changes between the check and the connection (rebinding) cannot redirect
  the request to an internal address.

The only way past the guard is an explicit ``AllowList`` (setting ``CPANET_OUTBOUND_ALLOWLIST``), empty by
default; tests use it to reach a receiver on loopback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Protocol
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A saved postback template is stored in a 2048-character column; the URL sent (macros expanded, each value
# percent-encoded) may be longer.
MAX_URL_LENGTH: Final = 2048
MAX_SEND_URL_LENGTH: Final = 4096
DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class SsrfCode(StrEnum):
    BAD_URL = "ssrf_bad_url"
    BAD_SCHEME = "ssrf_bad_scheme"
    USERINFO = "ssrf_userinfo"
    BAD_HOST = "ssrf_bad_host"
    BAD_PORT = "ssrf_bad_port"
    BLOCKED_HOST = "ssrf_blocked_host"
    BLOCKED_ADDRESS = "ssrf_blocked_address"
    UNRESOLVABLE = "ssrf_unresolvable"


class SsrfError(ValueError):
    """A refused URL: ``code`` for machines (problem details, delivery log), ``message`` for people."""

    def __init__(self, code: SsrfCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- address classification -------------------------------------------------------------------------------
# ipaddress.is_global alone is not enough on CPython 3.11: it calls multicast (224.0.0.1), the 6to4 relay
# anycast (192.88.99.0/24), IPv4-compatible (::7f00:1), NAT64 (64:ff9b::a9fe:a9fe), 6to4 (2002:7f00:1::)
# and the new IPv6 documentation block (3fff::/20) "global". Explicit tables come first; the first match
# names the reason; is_global and the other flags are the backstop.

_V4_TABLE: Final[tuple[tuple[ipaddress.IPv4Network, str], ...]] = tuple(
    (ipaddress.IPv4Network(net), reason)
    for net, reason in (
        ("169.254.169.254/32", "cloud metadata service"),
        ("0.0.0.0/8", "'this network' (0.0.0.0/8)"),
        ("10.0.0.0/8", "private network"),
        ("100.64.0.0/10", "carrier-grade NAT (shared address space)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private network"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation (TEST-NET-1)"),
        ("192.88.99.0/24", "6to4 relay anycast (deprecated)"),
        ("192.168.0.0/16", "private network"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation (TEST-NET-2)"),
        ("203.0.113.0/24", "documentation (TEST-NET-3)"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)

_V6_TABLE: Final[tuple[tuple[ipaddress.IPv6Network, str], ...]] = tuple(
    (ipaddress.IPv6Network(net), reason)
    for net, reason in (
        ("fd00:ec2::254/128", "cloud metadata service"),
        ("::1/128", "loopback"),
        ("::/128", "unspecified"),
        ("::/96", "IPv4-compatible (deprecated)"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001::/32", "Teredo"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "unique local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated)"),
        ("ff00::/8", "multicast"),
    )
)
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR: Final = ipaddress.IPv6Network("2002::/16")
_GLOBAL_UNICAST: Final = ipaddress.IPv6Network("2000::/3")


def _unscoped(ip: ipaddress.IPv6Address) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(ip.compressed.split("%", 1)[0]) if ip.scope_id else ip


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be contacted (loopback, private network, ...), or None for a public address.

    IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the
    embedded address; IPv4-compatible (::a.b.c.d) and Teredo are refused outright.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        for net, reason in _V4_TABLE:
            if ip in net:
                return reason
        if not ip.is_global or ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_link_local:
            return "not globally routable"
        return None
    bare = _unscoped(ip)
    if bare.ipv4_mapped is not None:
        inner = forbidden_reason(bare.ipv4_mapped)
        return None if inner is None else f"IPv4-mapped {inner}"
    if bare in _NAT64:
        inner = forbidden_reason(ipaddress.IPv4Address(int(bare) & 0xFFFFFFFF))
        return None if inner is None else f"NAT64-embedded {inner}"
    if bare.sixtofour is not None:
        inner = forbidden_reason(bare.sixtofour)
        return None if inner is None else f"6to4-embedded {inner}"
    for net6, reason in _V6_TABLE:
        if bare in net6:
            return reason
    if bare not in _GLOBAL_UNICAST:
        return "outside global unicast (2000::/3)"
    if not bare.is_global or bare.is_private or bare.is_reserved or bare.is_multicast:
        return "not globally routable"
    if ip.scope_id:
        return "scoped (zone id) address"
    return None


def is_forbidden(ip: IPAddress) -> bool:
    return forbidden_reason(ip) is not None


def _connectable(ip: IPAddress) -> IPAddress:
    """The address to put on the wire: IPv4-mapped answers are dialled as plain IPv4."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


# --- allowlist ---------------------------------------------------------------------------------------------

_LABEL: Final = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_DIGITS: Final = re.compile(r"[0-9]+")
_HEX_NUMBER: Final = re.compile(r"0[xX][0-9a-fA-F]*")


@dataclass(frozen=True)
class AllowEntry:
    network: IPNetwork | None = None  # an address or CIDR ...
    name: str | None = None  # ... or a host name (lower case, no trailing dot)
    port: int | None = None  # None: any port


def _parse_port(text: str, where: str) -> int:
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= 65535:
        raise ValueError(f"{where}: port must be 1-65535, got {text!r}")
    return int(text)


def _parse_entry(raw: str) -> AllowEntry:
    where = f"CPANET_OUTBOUND_ALLOWLIST entry {raw!r}"
    host, port = raw, None
    if "/" in raw:
        try:
            return AllowEntry(network=ipaddress.ip_network(raw, strict=False))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    if raw.startswith("["):
        inner, sep, rest = raw[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{where}: write IPv6 addresses as [addr] or [addr]:port")
        host, port = inner, (_parse_port(rest[1:], where) if rest else None)
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
        port = _parse_port(port_text, where)
    if ":" in host or _ends_in_number(host.removesuffix(".").rsplit(".", 1)[-1]):
        try:
            ip = ipaddress.ip_address(host.removesuffix("."))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
            raise ValueError(f"{where}: zone ids are not supported")
        return AllowEntry(network=ipaddress.ip_network(ip), port=port)
    name = host.lower().removesuffix(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise ValueError(f"{where}: not a host name, address or CIDR")
    return AllowEntry(name=name, port=port)


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks that bypass the guard, from a comma-separated setting (empty by default).

    ``AllowList("127.0.0.1:8001, [::1]:8001, 10.0.0.0/8, sink.internal")``. Entries:

    - an address, ``127.0.0.1`` or ``::1``: that address on any port; ``127.0.0.1:8001`` or ``[::1]:8001``:
      on that port only;
    - a CIDR, ``127.0.0.0/8``: any address in it, any port;
    - a host name, ``sink.internal`` or ``sink.internal:8443``: lifts the *name* rules only (``localhost``,
      single-label names, ``.internal`` ...). The addresses it resolves to must still be public or be
      allowed by an address/CIDR entry, so a DNS change cannot turn a name entry into a path to the
      metadata service.
    """

    spec: str = ""
    entries: tuple[AllowEntry, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parsed = tuple(_parse_entry(part.strip()) for part in self.spec.split(",") if part.strip())
        object.__setattr__(self, "entries", parsed)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def permits_address(self, ip: IPAddress, port: int) -> bool:
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            candidates = [_unscoped(ip)]
            if ip.ipv4_mapped is not None:
                candidates.append(ip.ipv4_mapped)
        return any(
            e.network is not None
            and (e.port is None or e.port == port)
            and any(c.version == e.network.version and c in e.network for c in candidates)
            for e in self.entries
        )

    def permits_name(self, host: str, port: int) -> bool:
        return any(e.name == host and (e.port is None or e.port == port) for e in self.entries)


NO_ALLOWLIST: Final = AllowList()


# --- resolution --------------------------------------------------------------------------------------------


class Resolver(Protocol):
    """Host name -> addresses. Raises OSError (socket.gaierror) when the name does not resolve."""

    def __call__(self, host: str, port: int) -> Sequence[IPAddress]: ...


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """socket.getaddrinfo, de-duplicated, in the order the system returns (RFC 6724 preference)."""
    found: list[IPAddress] = []
    for family, _type, _proto, _canon, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    ):
        if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(sockaddr[0], str):
            continue
        ip = ipaddress.ip_address(sockaddr[0])
        if ip not in found:
            found.append(ip)
    return found


# --- URL parsing -------------------------------------------------------------------------------------------

_BAD_CHARS: Final = re.compile(r"[\x00-\x20\x7f\\]")
_DASHED_V4: Final = re.compile(r"(?:^|-)(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$")
_DECIMAL_OCTET: Final = re.compile(r"\d{1,3}")

# Names that only exist inside a private network. Single-label names (``metadata``, ``instance-data``,
# ``redis``) are refused as a class: they resolve only through search domains or /etc/hosts.
_PRIVATE_SUFFIXES: Final = (
    "localhost",
    "local",
    "internal",
    "localdomain",
    "lan",
    "home",
    "corp",
    "intranet",
    "private",
    "arpa",
)
_METADATA_NAMES: Final = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)


@dataclass(frozen=True)
class ParsedTarget:
    """A URL that passed the save-time check. ``addresses`` is empty only for an unresolvable name checked
    with ``require_resolvable=False``."""

    scheme: str
    host: str  # lower case, no trailing dot, IPv6 without brackets
    port: int
    path_and_query: str
    addresses: tuple[IPAddress, ...]

    @property
    def url(self) -> str:
        return _canonical_url(self.scheme, self.host, self.port, self.path_and_query)


@dataclass(frozen=True)
class PinnedTarget:
    """Where to send: connect to ``ip``, speak to ``host`` (Host header, TLS SNI and certificate name)."""

    scheme: str
    host: str
    port: int
    ip: IPAddress
    path_and_query: str

    @property
    def url(self) -> str:
        return _canonical_url(self.scheme, self.host, self.port, self.path_and_query)


def _canonical_url(scheme: str, host: str, port: int, path_and_query: str) -> str:
    netloc = f"[{host}]" if ":" in host else host
    if port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{path_and_query}"


def _ipv4_number(part: str) -> int | None:
    """One part of a WHATWG / inet_aton IPv4 address: decimal, 0x hex or 0-prefixed octal."""
    if _HEX_NUMBER.fullmatch(part):
        return int(part[2:] or "0", 16)
    if not _DIGITS.fullmatch(part):
        return None
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8) if all(c in "01234567" for c in part) else None
    return int(part)


def _parse_numeric_ipv4(labels: list[str]) -> ipaddress.IPv4Address | None:
    """The address browsers and getaddrinfo read in ``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``."""
    if len(labels) > 4:
        return None
    numbers = [_ipv4_number(label) for label in labels]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return None
    address = values[-1]
    for i, n in enumerate(values[:-1]):
        address += n << (8 * (3 - i))
    return ipaddress.IPv4Address(address)


def _ends_in_number(label: str) -> bool:
    return bool(_DIGITS.fullmatch(label) or _HEX_NUMBER.fullmatch(label))


def _spelled_address(labels: list[str]) -> tuple[IPAddress, str] | None:
    """A forbidden address written into a name, as wildcard DNS services (nip.io, sslip.io) resolve them:
    ``127.0.0.1.nip.io``, ``10-0-0-1.sslip.io``, ``--1.sslip.io``. Checked without DNS, so it holds when the
    resolver is unavailable too; public addresses spelled this way go on to normal resolution."""
    spelled: list[IPAddress] = []
    for i in range(len(labels) - 3):
        window = labels[i : i + 4]
        if all(_DECIMAL_OCTET.fullmatch(label) for label in window):
            # ValueError: 256 or a leading zero, so digits in a name rather than an address
            with contextlib.suppress(ValueError):
                spelled.append(ipaddress.IPv4Address(".".join(window)))
    for label in labels:
        match = _DASHED_V4.search(label)
        if match:
            with contextlib.suppress(ValueError):
                spelled.append(ipaddress.IPv4Address(".".join(match.groups())))
        if "--" in label and not label.startswith("xn--"):
            with contextlib.suppress(ValueError):
                spelled.append(ipaddress.IPv6Address(label.replace("-", ":")))
    for ip in spelled:
        reason = forbidden_reason(ip)
        if reason is not None:
            return ip, reason
    return None


def _blocked_name_reason(host: str) -> str | None:
    if host in _METADATA_NAMES:
        return "is a cloud metadata service name"
    labels = host.split(".")
    if len(labels) == 1:
        return "is a single-label name, which resolves only inside a private network"
    if labels[-1] in _PRIVATE_SUFFIXES or host.endswith(".home.arpa"):
        return f"is a '.{labels[-1]}' name, which only exists inside a private network"
    spelled = _spelled_address(labels)
    if spelled is not None:
        ip, reason = spelled
        return f"spells the {reason} address {ip} (wildcard DNS services resolve such names to it)"
    return None


def _check_address(url_host: str, ip: IPAddress, port: int, allow: AllowList, *, resolved: bool) -> None:
    reason = forbidden_reason(ip)
    if reason is None or allow.permits_address(ip, port):
        return
    if url_host.strip("[]") == str(ip):
        what = f"{ip} ({reason})"
    else:
        what = f"{url_host} {'resolves to' if resolved else 'means'} {ip} ({reason}), which"
    raise SsrfError(
        SsrfCode.BLOCKED_ADDRESS,
        f"{what} is not a public internet address; postbacks only go to public addresses",
    )


@dataclass(frozen=True)
class _Split:
    scheme: str
    host: str
    port: int
    path_and_query: str
    literal: IPAddress | None


def _split(url: str, *, max_length: int, allow: AllowList) -> _Split:
    if not url:
        raise SsrfError(SsrfCode.BAD_URL, "the URL is empty")
    if len(url) > max_length:
        raise SsrfError(SsrfCode.BAD_URL, f"the URL is longer than {max_length} characters")
    if not url.isascii():
        raise SsrfError(
            SsrfCode.BAD_URL,
            "the URL has non-ASCII characters: percent-encode them, and write international domain names "
            "in their xn-- form",
        )
    if _BAD_CHARS.search(url):
        raise SsrfError(
            SsrfCode.BAD_URL, "the URL has spaces, control characters or backslashes: percent-encode them"
        )
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise SsrfError(SsrfCode.BAD_URL, f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise SsrfError(SsrfCode.BAD_SCHEME, "only http:// and https:// URLs are allowed")
    netloc = parts.netloc
    if "@" in netloc:
        raise SsrfError(SsrfCode.USERINFO, "user names and passwords (user:pass@host) are not allowed")
    if not netloc:
        raise SsrfError(SsrfCode.BAD_HOST, "the URL has no host")

    # Host and port by hand: urlsplit is lenient in ways that differ between Python versions.
    port_text = ""
    if netloc.startswith("["):
        host_text, sep, rest = netloc[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise SsrfError(SsrfCode.BAD_HOST, "unbalanced brackets around an IPv6 address")
        port_text = rest[1:]
        bracketed = True
    else:
        host_text, _, port_text = netloc.partition(":")
        bracketed = False
    if ":" in port_text:
        raise SsrfError(
            SsrfCode.BAD_HOST, "IPv6 addresses must be written in brackets: http://[2001:db8::1]/"
        )
    if port_text:
        if not _DIGITS.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
            raise SsrfError(SsrfCode.BAD_PORT, "the port must be a number from 1 to 65535")
        port = int(port_text)
    else:
        port = DEFAULT_PORTS[scheme]

    path_and_query = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not path_and_query.startswith("/"):
        raise SsrfError(SsrfCode.BAD_URL, "the path must start with /")

    if bracketed:
        ip6 = _literal_ipv6(host_text, port, allow)
        return _Split(scheme, ip6.compressed, port, path_and_query, ip6)
    host = host_text.lower()
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")
    if not host or "" in labels:
        raise SsrfError(SsrfCode.BAD_HOST, "the host name is empty or has an empty label")
    if _ends_in_number(labels[-1]):
        ip4 = _parse_numeric_ipv4(labels)
        if ip4 is None:
            raise SsrfError(SsrfCode.BAD_HOST, f"{host_text} is neither a host name nor an IPv4 address")
        _check_address(host_text, ip4, port, allow, resolved=False)
        if host != str(ip4):
            raise SsrfError(
                SsrfCode.BAD_HOST, f"write the IPv4 address {host_text} in dotted-decimal form: {ip4}"
            )
        return _Split(scheme, str(ip4), port, path_and_query, ip4)
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise SsrfError(
            SsrfCode.BAD_HOST,
            "the host name may only contain letters, digits, hyphens and dots (no macros, no other signs)",
        )
    return _Split(scheme, host, port, path_and_query, None)


def _literal_ipv6(text: str, port: int, allow: AllowList) -> ipaddress.IPv6Address:
    address_text, zone_sep, zone = text.partition("%")
    try:
        ip = ipaddress.IPv6Address(address_text)
    except ValueError:
        raise SsrfError(SsrfCode.BAD_HOST, f"[{text}] is not an IPv6 address") from None
    _check_address(f"[{text}]", ip, port, allow, resolved=False)
    if zone_sep:
        raise SsrfError(SsrfCode.BAD_HOST, f"zone ids (%{zone}) are not allowed in postback URLs")
    return ip


def _resolve(
    split: _Split, *, allow: AllowList, resolver: Resolver, require_resolvable: bool
) -> tuple[IPAddress, ...]:
    if split.literal is not None:
        return (split.literal,)
    if not allow.permits_name(split.host, split.port):
        reason = _blocked_name_reason(split.host)
        if reason is not None:
            raise SsrfError(SsrfCode.BLOCKED_HOST, f"{split.host} {reason}")
    try:
        addresses = tuple(resolver(split.host, split.port))
    except (OSError, UnicodeError):
        addresses = ()
    if not addresses:
        if require_resolvable:
            raise SsrfError(SsrfCode.UNRESOLVABLE, f"{split.host} does not resolve to any address")
        return ()
    for ip in addresses:
        _check_address(split.host, ip, split.port, allow, resolved=True)
    return addresses


def check_url(
    url: str,
    *,
    allow: AllowList,
    require_resolvable: bool = True,
    resolver: Resolver = system_resolver,
    max_length: int = MAX_URL_LENGTH,
) -> ParsedTarget:
    """Save-time check of a postback URL; raises SsrfError. A name is resolved now and refused if any of its
    addresses is not public (and, with ``require_resolvable``, if it does not resolve)."""
    split = _split(url, max_length=max_length, allow=allow)
    addresses = _resolve(split, allow=allow, resolver=resolver, require_resolvable=require_resolvable)
    return ParsedTarget(split.scheme, split.host, split.port, split.path_and_query, addresses)


def resolve_pinned(
    url: str,
    *,
    allow: AllowList,
    resolver: Resolver = system_resolver,
    max_length: int = MAX_SEND_URL_LENGTH,
) -> PinnedTarget:
    """Send-time check: resolve once, refuse if any address is not public, and return the IP to connect to.
    The caller must connect to ``ip`` and never resolve ``host`` again."""
    split = _split(url, max_length=max_length, allow=allow)
    addresses = _resolve(split, allow=allow, resolver=resolver, require_resolvable=True)
    return PinnedTarget(
        split.scheme, split.host, split.port, _connectable(addresses[0]), split.path_and_query
    )
