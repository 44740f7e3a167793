"""Differential property test: the compiled engine and the twin agree on random snapshots and clicks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastpath
from fastpath import (
    CapSpec,
    Click,
    FraudSettings,
    LandingSpec,
    ListsSpec,
    OfferSpec,
    ScheduleSpec,
    SnapshotSpec,
    TargetingSpec,
    TermsPin,
    build_snapshot,
)
from fastpath.netaddr import parse_cidr

from .conftest import CHROME, T0

pytestmark = pytest.mark.skipif(
    fastpath.engine_c is None or fastpath.NO_EXTENSIONS, reason="needs the compiled engine next to the twin"
)

WEBMASTERS = st.integers(1, 4)
COUNTRIES = st.sampled_from(["DE", "FR", "US", ""])
DEVICES = st.sampled_from(["mobile", "desktop", ""])
OSES = st.sampled_from(["ios", "android", "windows", ""])
TEMPLATES = st.lists(
    st.sampled_from(
        [
            "https://shop.example/p?",
            "c={click_id}",
            "&s={sub1}",
            "&s3={sub3}",
            "&o={offer_id}",
            "&a={aff_id}",
            "&g={geo}",
            "&ip={ip}",
            "&l={landing_id}",
            "{deep_link}",
            "&z={nope}",
            "/{sub2}/",
            "&d={device}",
        ]
    ),
    min_size=1,
    max_size=6,
).map("".join)
IPS = st.sampled_from(
    [
        "1.2.3.4",
        "1.2.3.5",
        "10.0.0.1",
        "10.0.0.255",
        "192.0.2.1",
        "::ffff:1.2.3.4",
        "2001:db8::1",
        "2001:db8::2",
        "::1",
        "bad",
        "01.2.3.4",
        "",
        "255.255.255.255",
    ]
)
UAS = st.sampled_from([CHROME, "curl/8.0", "Mozilla/5.0 (compatible; Googlebot/2.1)", "", "Opera/9.80", "x"])
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
SUBS = st.lists(st.one_of(st.sampled_from(["", "s1", "bad", "a&b=c"]), TEXT), max_size=10).map(tuple)
DEEP = st.sampled_from(
    [
        None,
        "",
        "https://shop.example/x?y=1",
        "https://a.cdn.example/",
        "javascript:alert(1)",
        "https://evil.example/",
        "https://shop.example@evil.example/",
    ]
)
REFERRERS = st.sampled_from(
    ["", "https://spam.example/x", "https://ok.spam.example/", "https://news.example/", "::"]
)


@st.composite
def caps(draw: st.DrawFn) -> CapSpec | None:
    if draw(st.booleans()):
        return None
    limit = st.one_of(st.none(), st.integers(0, 4))
    used = st.integers(0, 3)
    return CapSpec(
        draw(limit),
        draw(limit),
        draw(limit),
        draw(st.booleans()),
        draw(used),
        draw(used),
        draw(used),
        {wm: (draw(used), draw(used), draw(used)) for wm in draw(st.sets(WEBMASTERS))},
    )


@st.composite
def offers(draw: st.DrawFn, offer_id: int) -> OfferSpec:
    n = draw(st.integers(1, 2))
    landings = tuple(
        LandingSpec(offer_id * 10 + i, draw(TEMPLATES), frozenset({"shop.example", ".cdn.example"}))
        for i in range(n)
    )
    schedule = draw(st.one_of(st.none(), st.tuples(*[st.integers(0, (1 << 24) - 1)] * 7).map(ScheduleSpec)))
    targeting = TargetingSpec(
        frozenset(draw(st.sets(COUNTRIES, max_size=2))),
        frozenset(draw(st.sets(DEVICES, max_size=1))),
        frozenset(draw(st.sets(OSES, max_size=2))),
        schedule,
    )
    pins = tuple(
        TermsPin(
            draw(st.integers(1, 999)),
            T0 + draw(st.integers(-5000, 5000)),
            draw(st.one_of(st.none(), st.frozensets(WEBMASTERS, max_size=2))),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    return OfferSpec(
        offer_id,
        landings,
        landings[0].id,
        draw(st.booleans()) or draw(st.booleans()),
        draw(st.booleans()),
        "EUR",
        draw(st.one_of(st.none(), TEMPLATES)),
        targeting,
        draw(caps()),
        draw(caps()),
        pins,
    )


@st.composite
def snapshots(draw: st.DrawFn) -> SnapshotSpec:
    offer_specs = tuple(draw(offers(i)) for i in range(1, draw(st.integers(1, 4)) + 1))
    pairs = st.tuples(st.integers(1, 5), WEBMASTERS)
    fraud = FraudSettings(
        duplicate_window_s=draw(st.sampled_from([1.0, 60.0, 86400.0])),
        ip_velocity_window_s=draw(st.sampled_from([1.0, 60.0])),
        ip_velocity_limit=draw(st.integers(0, 4)),
        sub_velocity_window_s=draw(st.sampled_from([5.0, 60.0])),
        sub_velocity_limit=draw(st.integers(0, 4)),
        duplicate_slots=draw(st.sampled_from([1, 4, 8])),
        ip_slots=draw(st.sampled_from([1, 4, 16])),
        sub_slots=draw(st.sampled_from([1, 8])),
        ua_cache_size=draw(st.sampled_from([1, 2, 100])),
    )
    lists = ListsSpec(
        blocked_ips=tuple(
            draw(st.lists(st.sampled_from(["1.2.3.0/30", "2001:db8::/127", "0.0.0.0/0", "::1"]), max_size=2))
        ),
        allowed_ips=tuple(draw(st.lists(st.sampled_from(["1.2.3.5", "::/0"]), max_size=1))),
        blocked_subs=frozenset(draw(st.sets(st.sampled_from(["bad", "s1"])))),
        allowed_subs=frozenset(draw(st.sets(st.sampled_from(["s1"])))),
        blocked_referrer_domains=frozenset(draw(st.sets(st.sampled_from(["spam.example", "news.example"])))),
        allowed_referrer_domains=frozenset(draw(st.sets(st.sampled_from(["ok.spam.example"])))),
        blocked_webmasters=frozenset(draw(st.sets(WEBMASTERS, max_size=1))),
        allowed_webmasters=frozenset(draw(st.sets(WEBMASTERS, max_size=1))),
    )
    smartlinks = {100: tuple(draw(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 5)), max_size=4)))}
    return SnapshotSpec(
        network_id=1,
        offers=offer_specs,
        approvals=frozenset(draw(st.sets(pairs, max_size=6))),
        banned_webmasters=frozenset(draw(st.sets(WEBMASTERS, max_size=1))),
        inactive_webmasters=frozenset(draw(st.sets(WEBMASTERS, max_size=1))),
        smartlinks=smartlinks,
        lists=lists,
        trafficback_url=draw(st.one_of(st.none(), TEMPLATES)),
        fraud=fraud,
        utc_offset_s=draw(st.integers(-48, 56)) * 900,
        counted_at=T0 + draw(st.integers(-86400 * 40, 86400)),
        datacenter_ranges=tuple(
            parse_cidr(c) for c in draw(st.sets(st.sampled_from(["10.0.0.0/24", "2001:db8::/64"])))
        ),
        bot_patterns=("^curl", "Googlebot\\/", "[Oo]pera"),
    )


@st.composite
def click_streams(draw: st.DrawFn) -> list[Click]:
    clicks: list[Click] = []
    ts = T0
    for i in range(draw(st.integers(1, 40))):
        ts += draw(st.sampled_from([0.0, 0.001, 0.5, 3.0, 59.9, 60.0, 3600.0, 86400.0, -30.0, 2678400.0]))
        target = draw(st.sampled_from([1, 2, 3, 4, 5, 100, 101]))
        clicks.append(
            Click(
                target,
                draw(WEBMASTERS),
                ts,
                draw(IPS),
                draw(UAS),
                f"c{i}",
                target >= 100,
                draw(st.one_of(st.none(), st.integers(9, 42))),
                draw(DEEP),
                draw(SUBS),
                draw(COUNTRIES),
                draw(DEVICES),
                draw(OSES),
                draw(REFERRERS),
                draw(TEXT),
                draw(TEXT),
                draw(st.one_of(st.none(), st.floats(0.0, 1.0, exclude_max=True))),
            )
        )
    return clicks


def _state(engine: Any, spec: SnapshotSpec, ts: float) -> tuple[object, ...]:
    stats = {k: v for k, v in engine.state_stats().items() if k != "ua_cache"}
    usage = [
        (engine.click_usage(o.id, wm, ts), engine.conversion_usage(o.id, wm, ts))
        for o in spec.offers
        for wm in (1, 2)
    ]
    return stats, usage


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(spec=snapshots(), clicks=click_streams(), seed=st.integers(0, 2**64 - 1))
def test_compiled_and_twin_agree(spec: SnapshotSpec, clicks: list[Click], seed: int) -> None:
    assert fastpath.engine_c is not None
    snapshot = build_snapshot(spec)
    compiled = fastpath.engine_c.Engine(snapshot, seed=seed)
    twin = fastpath.engine_py.Engine(snapshot, seed=seed)
    half = len(clicks) // 2
    assert compiled.decide_batch(clicks[:half]) == twin.decide_batch(clicks[:half])
    for click in clicks[half:]:
        assert compiled.decide(click) == twin.decide(click), click
    for click in clicks[:3]:
        for offer in spec.offers:
            assert compiled.reserve_conversion(
                offer.id, click.webmaster_id, click.ts
            ) == twin.reserve_conversion(offer.id, click.webmaster_id, click.ts)
            compiled.release_click(offer.id, click.webmaster_id, click.ts)
            twin.release_click(offer.id, click.webmaster_id, click.ts)
    assert _state(compiled, spec, clicks[-1].ts) == _state(twin, spec, clicks[-1].ts)
