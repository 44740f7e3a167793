"""IP addresses as 128-bit integers and CIDR lists as sorted, merged integer intervals.

IPv4 lives in the IPv4-mapped block ``::ffff:0:0/96``, so ``1.2.3.4`` and ``::ffff:1.2.3.4`` are the same
integer and every lookup is one binary search over one table. ``0.0.0.0/0`` therefore covers IPv4 only, and
``::/0`` covers every address including IPv4.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

V4_MAPPED = 0xFFFF << 32
MAX128 = (1 << 128) - 1
INVALID_IP = -1


def parse_ip(text: str) -> int:
    """The address as a 128-bit integer (IPv4 mapped into ``::ffff:0:0/96``), or -1 when it is not an IP."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return INVALID_IP
    if address.version == 4:
        return V4_MAPPED | int(address)
    return int(address)


def parse_cidr(text: str) -> tuple[int, int]:
    """First and last address of a CIDR block or single address; host bits set are tolerated."""
    network = ipaddress.ip_network(text.strip(), strict=False)
    first, last = int(network.network_address), int(network.broadcast_address)
    if network.version == 4:
        return V4_MAPPED | first, V4_MAPPED | last
    return first, last


def parse_range(text: str) -> tuple[int, int]:
    """A ``first-last`` or ``first,last`` pair of addresses (the ipcat CSV layout) or a CIDR."""
    for separator in (",", "-"):
        if separator in text:
            parts = [p.strip() for p in text.split(separator)]
            first, last = parse_ip(parts[0]), parse_ip(parts[1])
            if first == INVALID_IP or last == INVALID_IP or first > last:
                raise ValueError(f"not an address range: {text!r}")
            return first, last
    return parse_cidr(text)


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and merge overlapping or adjacent closed intervals."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(intervals):
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


@dataclass(frozen=True, slots=True)
class IntervalSet:
    """Disjoint, sorted closed intervals of 128-bit addresses."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def from_ranges(cls, ranges: Iterable[tuple[int, int]]) -> IntervalSet:
        merged = merge_intervals(ranges)
        return cls(tuple(a for a, _ in merged), tuple(b for _, b in merged))

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str]) -> IntervalSet:
        return cls.from_ranges(parse_cidr(c) for c in cidrs)

    def __len__(self) -> int:
        return len(self.starts)

    def contains(self, ip: int) -> bool:
        i = bisect_right(self.starts, ip) - 1
        return i >= 0 and ip <= self.ends[i]


def _significant_lines(text: str) -> Iterable[tuple[int, str]]:
    """(line number, text) of the lines left once ``#`` and ``;`` comments and blanks are dropped."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if line:
            yield number, line


def load_cidr_lines(text: str) -> list[tuple[int, int]]:
    """One CIDR or address per line, ``#`` or ``;`` comments (FireHOL, Spamhaus DROP, Tor exit lists)."""
    return [parse_cidr(line.split()[0]) for _, line in _significant_lines(text)]


def load_x4bnet(text: str) -> list[tuple[int, int]]:
    """X4BNet ``lists_vpn`` outputs (``output/datacenter/ipv4.txt``, ``output/vpn/ipv4.txt``): CIDR per line.

    Their CSV inputs (``first,last,name,url`` as in client9/ipcat) are accepted too.
    """
    return [parse_range(",".join(line.split(",")[:2])) for _, line in _significant_lines(text)]


def load_range_lines(text: str, *, source: str = "<text>") -> list[tuple[int, int]]:
    """Any of the formats above, one entry per line: an address, a CIDR, ``first-last`` or
    ``first,last[,name,...]``; anything after the first whitespace is a comment too. A bad line raises
    ValueError naming ``source`` and the line number."""
    ranges: list[tuple[int, int]] = []
    for number, line in _significant_lines(text):
        entry = line.split()[0]
        try:
            ranges.append(parse_range(",".join(entry.split(",")[:2])))
        except ValueError as exc:
            raise ValueError(f"{source}:{number}: not an IP address, CIDR or range: {entry!r}") from exc
    return ranges
