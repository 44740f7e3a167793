"""Smartlinks: weighted rotation among eligible offers, deterministic by supplied draw or seed."""

from __future__ import annotations

from collections import Counter

from fastpath import CapSpec, Click, Reason, TargetingSpec

from .conftest import CHROME, T0, EngineFactory, offer, spec


def click(rand: float | None = None, target: int = 50, **kw: object) -> Click:
    return Click(target, 7, T0, "81.2.69.160", CHROME, "ck", smartlink=True, rand=rand, **kw)  # type: ignore[arg-type]


SMARTLINKS = {50: ((1, 1), (2, 3), (3, 6), (99, 5)), 51: ((4, 1),)}


def make(make_engine: EngineFactory, seed: int = 0) -> object:
    offers = (
        offer(1),
        offer(2),
        offer(3, targeting=TargetingSpec(countries=frozenset({"DE"}))),
        offer(4, active=False),
    )
    return make_engine(spec(*offers, smartlinks=SMARTLINKS), seed=seed)


def test_supplied_draw_picks_by_cumulative_weight(make_engine: EngineFactory) -> None:
    engine = make(make_engine)
    # Eligible for a DE click: 1 (w1), 2 (w3), 3 (w6); 99 is unknown and skipped. Total 10.
    expected = {0.0: 1, 0.0999: 1, 0.1: 2, 0.3999: 2, 0.4: 3, 0.9999: 3}
    for rand, offer_id in expected.items():
        assert engine.decide(click(rand, country="DE")).offer_id == offer_id  # type: ignore[attr-defined]


def test_ineligible_offers_drop_out(make_engine: EngineFactory) -> None:
    engine = make(make_engine)
    # Not DE: offer 3 is out, total weight 4.
    assert engine.decide(click(0.2, country="FR")).offer_id == 1  # type: ignore[attr-defined]
    assert engine.decide(click(0.25, country="FR")).offer_id == 2  # type: ignore[attr-defined]
    d = engine.decide(click(0.5, target=51))  # type: ignore[attr-defined]
    assert (d.reason, d.is_trafficback, d.offer_id) == (Reason.NO_ELIGIBLE_OFFER, True, None)
    assert d.url == "https://tb.example/?o=&c=ck"
    assert engine.decide(click(0.5, target=404)).reason == Reason.SMARTLINK_UNKNOWN  # type: ignore[attr-defined]


def test_seeded_sequence_is_deterministic_and_weighted(make_engine: EngineFactory) -> None:
    first = make(make_engine, seed=42)
    second = make(make_engine, seed=42)
    picks = [first.decide(click(country="DE")).offer_id for _ in range(3000)]  # type: ignore[attr-defined]
    assert picks == [second.decide(click(country="DE")).offer_id for _ in range(3000)]  # type: ignore[attr-defined]
    shares = Counter(picks)
    assert abs(shares[1] / 3000 - 0.1) < 0.03
    assert abs(shares[2] / 3000 - 0.3) < 0.04
    assert abs(shares[3] / 3000 - 0.6) < 0.04
    other = make(make_engine, seed=43)
    assert [other.decide(click(country="DE")).offer_id for _ in range(50)] != picks[:50]  # type: ignore[attr-defined]


def test_capped_offer_leaves_the_rotation_when_full(make_engine: EngineFactory) -> None:
    offers = (offer(1, click_caps=CapSpec(total=2)), offer(2))
    engine = make_engine(spec(*offers, smartlinks={50: ((1, 1000), (2, 1))}))
    picks = [engine.decide(click(0.0)).offer_id for _ in range(4)]
    assert picks == [1, 1, 2, 2]


def test_banned_webmaster_on_smartlink(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1), smartlinks={50: ((1, 1),)}, banned_webmasters=frozenset({7})))
    assert engine.decide(click(0.1)).reason == Reason.WEBMASTER_BLOCKED
