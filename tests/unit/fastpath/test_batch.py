"""Engine.decide_many (struct-of-arrays BatchResult) gives the decisions of decide, for both engines."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import fastpath
from fastpath import (
    NONE_ID,
    CapSpec,
    Click,
    Decision,
    FraudSettings,
    LandingSpec,
    ListsSpec,
    OfferSpec,
    Reason,
    ScheduleSpec,
    SnapshotSpec,
    TargetingSpec,
    TermsPin,
    build_snapshot,
)
from fastpath.netaddr import parse_cidr

from .conftest import CHROME, T0
from .test_differential import click_streams, snapshots


def _check_arrays(result: Any, decisions: list[Decision]) -> None:
    reasons = list(Reason)
    assert len(result) == len(decisions)
    for i, d in enumerate(decisions):
        assert result.offer_ids[i] == (NONE_ID if d.offer_id is None else d.offer_id)
        assert result.landing_ids[i] == (NONE_ID if d.landing_id is None else d.landing_id)
        assert result.terms_ids[i] == (NONE_ID if d.terms_version_id is None else d.terms_version_id)
        assert reasons[result.reasons[i]] is d.reason
        assert result.reason(i) is d.reason
        assert result.is_trafficback(i) == d.is_trafficback
        assert result.flags[i] == d.verdict.flags
        assert result.scores[i] == d.verdict.score
        assert result.ip_counts[i] == d.verdict.ip_count
        assert result.sub_counts[i] == d.verdict.sub_count
        assert result.duplicate_ages[i] == d.verdict.duplicate_age
    for i in reversed(range(len(decisions))):  # URLs render on demand, in any order
        assert result.url(i) == decisions[i].url
        assert result.decision(i) == decisions[i]
    assert result.decisions() == decisions


def _mixed_spec() -> SnapshotSpec:
    full = (1 << 24) - 1
    template = (
        "https://shop{}.example/lp?c={{click_id}}&a={{aff_id}}&s={{sub1}}&o={{offer_id}}&l={{landing_id}}"
    )
    offers = []
    for oid in range(1, 41):
        landings = (
            LandingSpec(oid * 10, template.format(oid), frozenset({f"shop{oid}.example"})),
            LandingSpec(
                oid * 10 + 1, "https://go.example/r?to={deep_link}&c={click_id}", frozenset({".cdn.example"})
            ),
        )
        offers.append(
            OfferSpec(
                oid,
                landings,
                landings[0].id,
                active=oid % 13 != 0,
                public=oid % 2 == 0,
                trafficback_url="https://otb.example/?o={offer_id}" if oid % 7 == 0 else None,
                targeting=TargetingSpec(
                    countries=frozenset({"DE", "FR"}) if oid % 5 == 0 else frozenset(),
                    devices=frozenset({"mobile"}) if oid % 9 == 0 else frozenset(),
                    os=frozenset({"ios", "android"}) if oid % 11 == 0 else frozenset(),
                    schedule=ScheduleSpec((full, full, full, full, full, 0, 0)) if oid % 6 == 0 else None,
                ),
                click_caps=CapSpec(daily=20, per_webmaster=oid % 2 == 0) if oid % 4 == 1 else None,
                terms=(TermsPin(oid * 100, T0 - 86400), TermsPin(oid * 100 + 1, T0 + 500, frozenset({1, 2}))),
            )
        )
    return SnapshotSpec(
        network_id=1,
        offers=tuple(offers),
        approvals=frozenset((o, w) for o in range(1, 41, 2) for w in (1, 3, 5)),
        banned_webmasters=frozenset({9}),
        inactive_webmasters=frozenset({8}),
        smartlinks={500: ((1, 5), (2, 3), (4, 2), (99, 1)), 501: ((13, 1),)},
        lists=ListsSpec(
            blocked_ips=("203.0.113.0/24",),
            blocked_subs=frozenset({"spam"}),
            blocked_referrer_domains=frozenset({"bad.example"}),
            blocked_webmasters=frozenset({7}),
        ),
        trafficback_url="https://tb.example/?o={offer_id}&c={click_id}",
        fraud=FraudSettings(ip_velocity_limit=3, duplicate_slots=64, ip_slots=64, sub_slots=16),
        counted_at=T0,
        datacenter_ranges=tuple(parse_cidr(f"10.{k}.0.0/16") for k in range(0, 200, 3)),
    )


def _mixed_clicks(n: int) -> list[Click]:
    rng = random.Random(5)
    clicks: list[Click] = []
    for i in range(n):
        if clicks and rng.random() < 0.05:
            clicks.append(clicks[rng.randrange(len(clicks))]._replace(ts=T0 + i))
            continue
        smartlink = rng.random() < 0.1
        clicks.append(
            Click(
                target_id=rng.choice((500, 501, 502)) if smartlink else rng.randrange(1, 45),
                webmaster_id=rng.randrange(1, 11),
                ts=T0 + i,
                ip=rng.choice(
                    (
                        f"10.{rng.randrange(256)}.1.2",
                        f"81.2.{rng.randrange(256)}.3",
                        "203.0.113.9",
                        "bad",
                        "::1",
                    )
                ),
                user_agent=rng.choice((CHROME, "curl/8.0", "")),
                click_id=f"c{i}",
                smartlink=smartlink,
                landing_id=rng.choice((None, None, 11, 20, 21, 5)),
                deep_link=rng.choice((None, "https://a.cdn.example/x?y=1", "javascript:alert(1)")),
                subs=rng.choice(((), ("s1", "p 2"), ("spam",), ("", "x"))),
                country=rng.choice(("DE", "US", "")),
                device=rng.choice(("mobile", "desktop")),
                os=rng.choice(("ios", "windows")),
                referrer=rng.choice(("", "https://x.bad.example/", "https://ok.example/")),
                rand=rng.choice((None, 0.3)),
            )
        )
    return clicks


def test_decide_many_matches_decide_on_a_mixed_workload(engine_cls: Any) -> None:
    snapshot = build_snapshot(_mixed_spec())
    clicks = _mixed_clicks(1500)  # several of the compiled engine's internal blocks
    reference = engine_cls(snapshot, seed=3)
    expected = [reference.decide(c) for c in clicks]
    assert len({d.reason for d in expected}) >= 8 and any(not d.verdict.valid for d in expected)
    engine = engine_cls(snapshot, seed=3)
    results = [engine.decide_many(clicks[:700]), engine.decide_many(clicks[700:]), engine.decide_many([])]
    _check_arrays(results[0], expected[:700])
    _check_arrays(results[1], expected[700:])
    assert len(results[2]) == 0
    assert engine.state_stats() == reference.state_stats()
    for o in (1, 2, 5):
        assert engine.click_usage(o, 2, clicks[-1].ts) == reference.click_usage(o, 2, clicks[-1].ts)


def test_batch_result_outlives_a_snapshot_swap_and_checks_indexes(engine_cls: Any) -> None:
    snapshot = build_snapshot(_mixed_spec())
    clicks = _mixed_clicks(50)
    reference = engine_cls(snapshot, seed=1)
    expected = [reference.decide(c) for c in clicks]
    engine = engine_cls(snapshot, seed=1)
    result = engine.decide_many(clicks)
    engine.swap_snapshot(build_snapshot(SnapshotSpec(network_id=1, offers=())))
    assert [result.url(i) for i in range(len(clicks))] == [d.url for d in expected]
    assert result.decision(-1) == expected[-1]
    with pytest.raises(IndexError):
        result.url(len(clicks))
    with pytest.raises((TypeError, AttributeError)):  # as decide: not a Click
        engine.decide_many([42])


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(spec=snapshots(), clicks=click_streams())
def test_decide_many_matches_decide_on_random_input(
    engine_cls: Any, spec: SnapshotSpec, clicks: list[Click]
) -> None:
    snapshot = build_snapshot(spec)
    reference = engine_cls(snapshot, seed=11)
    expected = [reference.decide(c) for c in clicks]
    engine = engine_cls(snapshot, seed=11)
    _check_arrays(engine.decide_many(clicks), expected)
    if fastpath.engine_c is not None and not fastpath.NO_EXTENSIONS:
        twin = fastpath.engine_py.Engine(snapshot, seed=11)
        assert twin.decide_many(clicks).decisions() == expected
