"""CIDR loaders, merging and the bundled data files (checked through both engines)."""

from __future__ import annotations

import pytest

from fastpath import FraudFlag
from fastpath.data_sources import bundled_datacenter_ranges, crawler_user_agent_patterns
from fastpath.netaddr import IntervalSet, load_cidr_lines, load_x4bnet, merge_intervals, parse_cidr, parse_ip
from fastpath.results import Click

from .conftest import CHROME, T0, EngineFactory, offer, spec


def test_merge_adjacent_and_overlapping(engine_cls: type) -> None:
    assert merge_intervals([(5, 9), (1, 3), (4, 4), (8, 12), (20, 20)]) == [(1, 12), (20, 20)]
    s = IntervalSet.from_cidrs(["10.0.0.0/25", "10.0.0.128/25", "10.0.0.64/26"])
    assert len(s) == 1 and s.contains(parse_ip("10.0.0.255")) and not s.contains(parse_ip("10.0.1.0"))


def test_plain_and_x4bnet_loaders(make_engine: EngineFactory) -> None:
    plain = load_cidr_lines("# comment\n1.2.3.0/24\n\n2001:db8::/48 ; note\n5.6.7.8\n")
    assert plain == [parse_cidr("1.2.3.0/24"), parse_cidr("2001:db8::/48"), parse_cidr("5.6.7.8/32")]
    x4b = load_x4bnet("# ASN list output\n1.0.0.0/24\n9.9.9.0,9.9.9.9,Quad9,https://quad9.net\n")
    assert x4b == [parse_cidr("1.0.0.0/24"), (parse_ip("9.9.9.0"), parse_ip("9.9.9.9"))]
    engine = make_engine(spec(offer(1), datacenter_ranges=tuple(plain + x4b)))
    assert engine.check_fraud(Click(1, 1, T0, "9.9.9.5", CHROME)).flags == FraudFlag.DATACENTER_IP
    assert engine.check_fraud(Click(1, 1, T0, "9.9.9.10", CHROME)).flags == 0
    with pytest.raises(ValueError):
        load_x4bnet("9.9.9.9,9.9.9.0\n")


def test_bundled_files_load(engine_cls: type) -> None:
    ranges = bundled_datacenter_ranges()
    assert len(ranges) > 10_000
    assert all(parse_ip("192.168.1.1") not in range(a, b + 1) for a, b in ranges[:0])
    s = IntervalSet.from_ranges(ranges)
    assert not s.contains(parse_ip("192.168.1.1")) and not s.contains(parse_ip("192.0.2.1"))
    assert len(crawler_user_agent_patterns()) > 1000
