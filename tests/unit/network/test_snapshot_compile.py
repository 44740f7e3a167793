"""Pure parts of the snapshot compiler: schedules across time zones, caps, and terms pins."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from fastpath import LandingSpec, OfferSpec, SnapshotSpec, build_snapshot, engine_py
from fastpath.results import Click
from network.terms import resolution
from network.tracking.snapshot import cap_spec, click_caps, exhausted, schedule_spec, terms_pins

SATURDAY_NOON_UTC = datetime(2026, 11, 21, 12, tzinfo=UTC).timestamp()


def test_schedule_is_shifted_into_network_time() -> None:
    # Open Saturday 10:00-21:59 Moscow time (UTC+3), network in UTC: open 07:00-18:59 UTC.
    spec = schedule_spec(
        {"timezone": "Europe/Moscow", "hours": {"sat": list(range(10, 22))}}, "UTC", SATURDAY_NOON_UTC
    )
    assert spec is not None
    assert spec.week[5] == sum(1 << h for h in range(7, 19))
    assert all(mask == 0 for i, mask in enumerate(spec.week) if i != 5)


def test_schedule_wraps_across_midnight_and_week() -> None:
    # Monday 00:00-01:59 in UTC+3 is Sunday 21:00-22:59 UTC.
    spec = schedule_spec({"timezone": "Europe/Moscow", "hours": {"mon": [0, 1]}}, "UTC", SATURDAY_NOON_UTC)
    assert spec is not None and spec.week[6] == (1 << 21) | (1 << 22) and spec.week[0] == 0
    assert schedule_spec(None, "UTC", SATURDAY_NOON_UTC) is None
    assert schedule_spec({"timezone": "UTC", "hours": {}}, "UTC", SATURDAY_NOON_UTC) is None


def test_caps_by_metric() -> None:
    rows = [
        {"metric": "clicks", "period": "daily", "limit_value": 100, "scope": "shared"},
        {"metric": "clicks", "period": "total", "limit_value": 5000, "scope": "per_webmaster"},
        {"metric": "budget", "period": "monthly", "limit_value": 250050, "scope": "shared"},
    ]
    clicks = cap_spec(rows, "clicks")
    assert clicks is not None and (clicks.daily, clicks.monthly, clicks.total) == (100, None, 5000)
    assert clicks.per_webmaster
    assert cap_spec(rows, "conversions") is None


def test_a_spent_conversion_or_budget_cap_zeroes_the_click_caps_of_its_period() -> None:
    rows = [
        {"offer": 7, "metric": "clicks", "period": "daily", "limit_value": 100, "scope": "shared"},
        {"offer": 7, "metric": "conversions", "period": "daily", "limit_value": 3, "scope": "shared"},
        {"offer": 7, "metric": "budget", "period": "monthly", "limit_value": 5000, "scope": "shared"},
    ]
    usage = {(7, "conversions", "daily", 0): 2, (7, "budget", "monthly", 0): 4999}
    assert exhausted(rows, usage) == frozenset()
    caps = click_caps(rows, usage)
    assert caps is not None and (caps.daily, caps.monthly) == (100, None)
    conversions = cap_spec(rows, "conversions", usage)
    assert conversions is not None and conversions.used_daily == 2
    spent = {(7, "conversions", "daily", 0): 3, (7, "budget", "monthly", 0): 5000}
    assert exhausted(rows, spent) == frozenset({"daily", "monthly"})
    caps = click_caps(rows, spent)
    assert caps is not None and (caps.daily, caps.monthly, caps.total) == (0, 0, None)


def _version(
    i: int, scope: str, days: int, group: int | None = None, wm: int | None = None
) -> dict[str, object]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "id": i,
        "number": i,
        "scope": scope,
        "group": group,
        "webmaster": wm,
        "effective_from": start + timedelta(days=days),
    }


def test_fastpath_pins_match_network_resolution_at_every_moment() -> None:
    rng = random.Random(7)
    members = {1: {10, 11}, 2: {11, 12}}
    for trial in range(40):
        versions = [_version(1, "offer", 0)]
        for i in range(2, 2 + rng.randint(1, 7)):
            scope = rng.choice(["offer", "group", "webmaster"])
            versions.append(
                _version(
                    i,
                    scope,
                    rng.randint(0, 60),
                    group=rng.choice([1, 2]) if scope == "group" else None,
                    wm=rng.choice([10, 11, 12, 13]) if scope == "webmaster" else None,
                )
            )
        spec = SnapshotSpec(
            network_id=1,
            offers=(
                OfferSpec(
                    id=5,
                    landings=(LandingSpec(1, "https://a.example/?c={click_id}"),),
                    default_landing_id=1,
                    terms=terms_pins(versions, members),
                ),
            ),
            approvals=frozenset((5, wm) for wm in (10, 11, 12, 13)),
            datacenter_ranges=(),
            bot_patterns=(),
        )
        engine = engine_py.Engine(build_snapshot(spec))
        groups_of = {10: [1], 11: [1, 2], 12: [2], 13: []}
        for day in range(-1, 63):
            at = datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
            for wm in (10, 11, 12, 13):
                expected = resolution.in_force(versions, wm, groups_of[wm], at)
                decision = engine.decide(
                    Click(
                        5,
                        wm,
                        at.timestamp(),
                        f"10.0.{trial}.{day % 250}",
                        "Mozilla/5.0",
                        "c",
                        subs=("",) * 10,
                    )
                )
                assert decision.terms_version_id == (expected["id"] if expected else None), (trial, day, wm)
