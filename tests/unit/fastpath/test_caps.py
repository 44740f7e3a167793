"""Cap counters: exact daily / monthly / total limits, shared or per webmaster, reserve and release."""

from __future__ import annotations

import pytest

from fastpath import CapSpec, CapUsage, Click, FraudFlag, FraudSettings, Reason, build_snapshot

from .conftest import CHROME, T0, EngineFactory, offer, spec

DAY = 86400.0


def click(n: int, wm: int = 7, ts: float = T0) -> Click:
    return Click(1, wm, ts, f"81.2.0.{n % 250}", CHROME, f"c{n}")


def test_click_cap_daily_exact_then_trafficback(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1, click_caps=CapSpec(daily=3), trafficback_url="https://otb.example/")))
    decisions = [engine.decide(click(i, ts=T0 + i)) for i in range(5)]
    assert [d.reason for d in decisions] == [Reason.OK] * 3 + [Reason.CAP_REACHED] * 2
    assert decisions[3].url == "https://otb.example/" and decisions[3].is_trafficback
    assert engine.click_usage(1, 7, T0) == CapUsage(3, 3, 3)
    # The next day (network time) the daily counter starts again.
    assert engine.decide(click(9, ts=T0 + DAY)).reason == Reason.OK
    assert engine.click_usage(1, 7, T0 + DAY) == CapUsage(1, 4, 4)


def test_daily_period_follows_network_offset(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1, click_caps=CapSpec(daily=1)), utc_offset_s=-5 * 3600))
    assert engine.decide(click(1, ts=T0 + 4 * 3600)).reason == Reason.OK  # 23:00 the previous local day
    assert engine.decide(click(2, ts=T0 + 5 * 3600)).reason == Reason.OK  # 00:00 local: a new day
    assert engine.decide(click(3, ts=T0 + 6 * 3600)).reason == Reason.CAP_REACHED


def test_monthly_and_total(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1, click_caps=CapSpec(monthly=2, total=3))))
    reasons = [engine.decide(click(i, ts=T0 + i * DAY)).reason for i in range(3)]
    assert reasons == [Reason.OK, Reason.OK, Reason.CAP_REACHED]
    feb = T0 + 31 * DAY
    assert engine.decide(click(5, ts=feb)).reason == Reason.OK
    assert engine.decide(click(6, ts=feb + 1)).reason == Reason.CAP_REACHED  # total 3 reached
    assert engine.click_usage(1, 7, feb) == CapUsage(1, 1, 3)


def test_per_webmaster_caps_and_initial_counters(make_engine: EngineFactory) -> None:
    caps = CapSpec(daily=2, per_webmaster=True, used_by_webmaster={7: (1, 1, 1)})
    engine = make_engine(spec(offer(1, click_caps=caps), counted_at=T0))
    assert engine.decide(click(1, wm=7)).reason == Reason.OK
    assert engine.decide(click(2, wm=7)).reason == Reason.CAP_REACHED
    assert [engine.decide(click(3 + i, wm=8)).reason for i in range(3)] == [
        Reason.OK,
        Reason.OK,
        Reason.CAP_REACHED,
    ]


def test_shared_initial_counters(make_engine: EngineFactory) -> None:
    caps = CapSpec(daily=10, used_daily=9, used_monthly=9, used_total=50)
    engine = make_engine(spec(offer(1, click_caps=caps), counted_at=T0 + 100))
    assert engine.decide(click(1, wm=1, ts=T0 + 200)).reason == Reason.OK
    assert engine.decide(click(2, wm=2, ts=T0 + 300)).reason == Reason.CAP_REACHED
    assert engine.click_usage(1, 3, T0 + 300) == CapUsage(10, 10, 51)


def test_reserve_and_release(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1, click_caps=CapSpec(total=2), conversion_caps=CapSpec(daily=1))))
    assert engine.reserve_click(1, 7, T0) and engine.reserve_click(1, 7, T0)
    assert not engine.reserve_click(1, 7, T0)
    engine.release_click(1, 7, T0)
    assert engine.reserve_click(1, 7, T0)
    assert engine.reserve_conversion(1, 7, T0)
    assert not engine.reserve_conversion(1, 8, T0)
    engine.release_conversion(1, 7, T0)
    assert engine.conversion_usage(1, 7, T0) == CapUsage(0, 0, 0)
    assert engine.reserve_conversion(1, 8, T0)
    # Releasing yesterday's reservation today leaves today's daily counter alone.
    engine.release_conversion(1, 8, T0 - DAY)
    assert engine.conversion_usage(1, 8, T0) == CapUsage(1, 1, 0)


def test_offers_without_caps_are_unlimited(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1)))
    assert all(engine.reserve_click(1, 7, T0) for _ in range(100))
    assert engine.click_usage(1, 7, T0) == CapUsage(0, 0, 0)
    with pytest.raises(KeyError):
        engine.reserve_click(2, 7, T0)


def test_swap_snapshot_keeps_the_larger_counter(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1, click_caps=CapSpec(daily=5)), counted_at=T0))
    for i in range(3):
        engine.decide(click(i))
    fresh = build_snapshot(
        spec(offer(1, click_caps=CapSpec(daily=5, used_daily=2, used_monthly=2, used_total=2)), counted_at=T0)
    )
    engine.swap_snapshot(fresh)
    assert engine.snapshot is fresh
    assert engine.click_usage(1, 7, T0) == CapUsage(3, 3, 3)
    later = build_snapshot(
        spec(offer(1, click_caps=CapSpec(daily=5, used_daily=4, used_monthly=4, used_total=4)), counted_at=T0)
    )
    engine.swap_snapshot(later)
    assert engine.click_usage(1, 7, T0) == CapUsage(4, 4, 4)
    assert [engine.decide(click(10 + i)).reason for i in range(2)] == [Reason.OK, Reason.CAP_REACHED]


def test_swap_keeps_fraud_state_unless_sizes_change(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1)))
    engine.decide(click(1))
    engine.swap_snapshot(build_snapshot(spec(offer(1), bot_patterns=("^curl",))))
    assert engine.decide(click(1, ts=T0 + 1)).verdict.duplicate_age == 1.0  # kept across the swap
    assert engine.check_fraud(Click(1, 7, T0, "81.2.0.9", "curl/8", "c")).flags == FraudFlag.BOT_UA
    engine.swap_snapshot(build_snapshot(spec(offer(1), fraud=FraudSettings(duplicate_slots=64))))
    assert engine.decide(click(1, ts=T0 + 2)).verdict.duplicate_age == -1.0  # new tables
    assert engine.state_stats()["duplicate_slots"] == 64
