"""Offline data shipped with fastpath or by a PyPI package; read at snapshot build time, never per click."""

from __future__ import annotations

import ipaddress
import json
import textwrap
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastpath.netaddr import V4_MAPPED, load_cidr_lines, merge_intervals, parse_cidr

BUNDLED_RANGES = "cloud_crawler_ranges.txt"


def bundled_datacenter_ranges() -> list[tuple[int, int]]:
    """Cloud, hosting and crawler ranges bundled in ``fastpath/data`` (provenance: docs/fastpath.md)."""
    text = resources.files("fastpath").joinpath("data").joinpath(BUNDLED_RANGES).read_text(encoding="ascii")
    return load_cidr_lines(text)


@cache
def crawler_user_agent_patterns() -> tuple[str, ...]:
    """The regexes of monperrus' crawler-user-agents list, as shipped by the PyPI package of that name."""
    text = resources.files("crawleruseragents").joinpath("crawler-user-agents.json").read_text("utf-8")
    entries: list[dict[str, Any]] = json.loads(text)
    return tuple(str(entry["pattern"]) for entry in entries)


def _to_cidrs(first: int, last: int) -> list[str]:
    if first >> 32 == 0xFFFF and last >> 32 == 0xFFFF:
        nets = ipaddress.summarize_address_range(
            ipaddress.IPv4Address(first & 0xFFFFFFFF), ipaddress.IPv4Address(last & 0xFFFFFFFF)
        )
        return [str(n) for n in nets]
    return [
        str(n)
        for n in ipaddress.summarize_address_range(ipaddress.IPv6Address(first), ipaddress.IPv6Address(last))
    ]


def derive_from_is_crawler(source: Path, target: Path, *, derived_on: str) -> int:
    """Regenerate the bundled file from is-crawler's ``crawler-ip-ranges.json`` (Apache-2.0).

    Entries that are not valid CIDRs, and blocks that are not globally routable (the source lists private and
    documentation ranges such as 192.168.1.0/24 and 192.0.2.0/24), are skipped and counted in the header.
    Returns the number of CIDRs written.
    """
    groups: dict[str, list[str]] = json.loads(source.read_text("utf-8"))
    ranges: list[tuple[int, int]] = []
    skipped = not_global = 0
    for cidrs in groups.values():
        for cidr in cidrs:
            try:
                network = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                skipped += 1
                continue
            if not network.is_global:
                not_global += 1
                continue
            ranges.append(parse_cidr(cidr))
    lines: list[str] = []
    for first, last in merge_intervals(ranges):
        lines.extend(_to_cidrs(first, last))
    header = [
        "# Crawler, cloud and hosting IP ranges, merged, one CIDR per line.",
        "# Derived from is-crawler 1.5.25 (PyPI, released 2026-06), file is_crawler/crawler-ip-ranges.json,",
        "# licence Apache-2.0, by fastpath.data_sources.derive_from_is_crawler.",
        f"# Derived on {derived_on}: {len(groups)} groups, {len(ranges)} CIDRs kept, {skipped} malformed and",
        f"# {not_global} not globally routable skipped, {len(lines)} CIDRs after merging.",
        *textwrap.wrap(
            "groups: " + ", ".join(sorted(groups)), 100, initial_indent="# ", subsequent_indent="#   "
        ),
    ]
    target.write_text("\n".join(header + lines) + "\n", encoding="ascii")
    return len(lines)


__all__ = [
    "BUNDLED_RANGES",
    "V4_MAPPED",
    "bundled_datacenter_ranges",
    "crawler_user_agent_patterns",
    "derive_from_is_crawler",
]
