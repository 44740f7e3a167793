"""Routing, reason codes, macros, terms pins, trafficback and open-redirect protection."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from fastpath import (
    Click,
    FraudFlag,
    FraudSettings,
    LandingSpec,
    OfferSpec,
    Reason,
    ScheduleSpec,
    TargetingSpec,
    TermsPin,
    build_snapshot,
)

from .conftest import CHROME, T0, EngineFactory, offer, spec


def click(**kw: object) -> Click:
    base: dict[str, object] = {
        "target_id": 1,
        "webmaster_id": 7,
        "ts": T0,
        "ip": "81.2.69.160",
        "user_agent": CHROME,
        "click_id": "ck1",
    }
    base.update(kw)
    return Click(**base)  # type: ignore[arg-type]


def test_routes_to_default_landing_with_macros(make_engine: EngineFactory) -> None:
    template = (
        "https://shop.example/lp?c={click_id}&t={transaction_id}&o={offer_id}&a={aff_id}&w={webmaster_id}"
        "&s1={sub1}&s10={sub10}&g={geo}&cc={country}&d={device}&os={os}&ip={ip}&l={landing_id}&src={source}"
        "&cr={creative_id}&u={unknown}"
    )
    engine = make_engine(spec(offer(1, template)))
    subs = tuple(f"v{i}" for i in range(1, 11))
    d = engine.decide(
        click(subs=subs, country="DE", device="mobile", os="android", source="fb", creative_id="9")
    )
    assert d.reason == Reason.OK and not d.is_trafficback
    assert (d.offer_id, d.landing_id, d.terms_version_id) == (1, 10, None)
    assert d.url == (
        "https://shop.example/lp?c=ck1&t=ck1&o=1&a=7&w=7&s1=v1&s10=v10&g=DE&cc=DE&d=mobile&os=android"
        "&ip=81.2.69.160&l=10&src=fb&cr=9&u="
    )


def test_macro_injection_stays_in_its_position(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1, "https://shop.example/lp?clickid={click_id}&s={sub1}&payout=1")))
    evil = "a&payout=9999&x=%0d%0aSet-Cookie:1"
    d = engine.decide(click(subs=(evil,)))
    parts = urlsplit(d.url)
    assert parts.hostname == "shop.example"
    assert "\r" not in d.url and "\n" not in d.url
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query == {"clickid": ["ck1"], "s": [evil], "payout": ["1"]}


def test_unicode_and_reserved_values_are_percent_encoded(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1, "https://shop.example/{sub1}?q={sub2}")))
    d = engine.decide(click(subs=("../é/x y", "a+b~c-d_e.f")))
    assert d.url == "https://shop.example/..%2F%C3%A9%2Fx%20y?q=a%2Bb~c-d_e.f"


@pytest.mark.parametrize(
    ("kw", "extra", "reason"),
    [
        ({"target_id": 99}, {}, Reason.OFFER_UNKNOWN),
        ({}, {"banned_webmasters": frozenset({7})}, Reason.WEBMASTER_BLOCKED),
        ({}, {"inactive_webmasters": frozenset({7})}, Reason.WEBMASTER_INACTIVE),
        ({"country": "FR"}, {}, Reason.GEO_MISMATCH),
        ({"country": "DE", "device": "desktop"}, {}, Reason.DEVICE_MISMATCH),
        ({"country": "DE", "device": "mobile", "os": "windows"}, {}, Reason.OS_MISMATCH),
        ({"country": "DE", "device": "mobile", "os": "ios"}, {}, Reason.OK),
    ],
)
def test_reason_codes(
    make_engine: EngineFactory, kw: dict[str, object], extra: dict[str, object], reason: Reason
) -> None:
    targeting = TargetingSpec(frozenset({"de", "AT"}), frozenset({"Mobile"}), frozenset({"ios", "android"}))
    engine = make_engine(spec(offer(1, targeting=targeting), **extra))
    d = engine.decide(click(**kw))
    assert d.reason == reason
    assert d.is_trafficback is (reason != Reason.OK)


def test_inactive_offer_and_access(make_engine: EngineFactory) -> None:
    engine = make_engine(
        spec(
            offer(1, active=False),
            offer(2, public=False),
            offer(3, public=False),
            approvals=frozenset({(3, 7)}),
        )
    )
    assert engine.decide(click(target_id=1)).reason == Reason.OFFER_INACTIVE
    assert engine.decide(click(target_id=2)).reason == Reason.NO_ACCESS
    assert engine.decide(click(target_id=3)).reason == Reason.OK
    assert engine.decide(click(target_id=3, webmaster_id=8)).reason == Reason.NO_ACCESS


def test_trafficback_offer_first_then_network(make_engine: EngineFactory) -> None:
    engine = make_engine(
        spec(
            offer(1, active=False, trafficback_url="https://otb.example/?c={click_id}&s={sub1}"),
            offer(2, active=False),
        )
    )
    d1 = engine.decide(click(target_id=1, subs=("a b",)))
    assert (d1.url, d1.is_trafficback, d1.offer_id, d1.landing_id) == (
        "https://otb.example/?c=ck1&s=a%20b",
        True,
        1,
        None,
    )
    d2 = engine.decide(click(target_id=2))
    assert d2.url == "https://tb.example/?o=2&c=ck1"
    d3 = engine.decide(click(target_id=404))
    assert (d3.url, d3.offer_id) == ("https://tb.example/?o=404&c=ck1", None)


def test_no_trafficback_configured_gives_empty_url(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1, active=False), trafficback_url=None))
    d = engine.decide(click())
    assert d.url == "" and d.is_trafficback


def test_schedule_window(make_engine: EngineFactory) -> None:
    # Open Thursday 10:00-10:59 network time, network at UTC+2.
    week = [0] * 7
    week[3] = 1 << 10
    schedule = ScheduleSpec(tuple(week))  # type: ignore[arg-type]
    engine = make_engine(spec(offer(1, targeting=TargetingSpec(schedule=schedule)), utc_offset_s=7200))
    assert engine.decide(click(ts=T0 + 8 * 3600)).reason == Reason.OK  # 08:00Z = 10:00 local
    assert engine.decide(click(ts=T0 + 8 * 3600 + 3599.9)).reason == Reason.OK
    assert engine.decide(click(ts=T0 + 9 * 3600)).reason == Reason.SCHEDULE_CLOSED
    assert engine.decide(click(ts=T0 + 7 * 3600 + 3599)).reason == Reason.SCHEDULE_CLOSED
    assert engine.decide(click(ts=T0 + 8 * 3600 + 7 * 86400)).reason == Reason.OK


def test_schedule_with_tz_name_resolved_at_build(make_engine: EngineFactory) -> None:
    week = [0] * 7
    week[3] = 1 << 1  # Thursday 01:00 in Berlin (UTC+1 in January) = 00:00Z
    schedule = ScheduleSpec(tuple(week))  # type: ignore[arg-type]
    s = spec(offer(1, targeting=TargetingSpec(schedule=schedule)), tz_name="Europe/Berlin", counted_at=T0)
    engine = make_engine(s)
    assert engine.snapshot.utc_offset_s == 3600
    assert engine.decide(click(ts=T0 + 10)).reason == Reason.OK
    assert engine.decide(click(ts=T0 + 3600)).reason == Reason.SCHEDULE_CLOSED


def test_landing_choice(make_engine: EngineFactory) -> None:
    landings = (
        LandingSpec(5, "https://a.example/?l={landing_id}"),
        LandingSpec(6, "https://b.example/?l={landing_id}"),
    )
    engine = make_engine(spec(offer(1, landings=landings)))
    assert engine.decide(click()).url == "https://a.example/?l=5"
    assert engine.decide(click(landing_id=6)).url == "https://b.example/?l=6"
    unknown = engine.decide(click(landing_id=77))
    assert (unknown.url, unknown.landing_id) == ("https://a.example/?l=5", 5)


def test_terms_pins_most_specific_then_latest(make_engine: EngineFactory) -> None:
    terms = (
        TermsPin(100, T0 - 1000),
        TermsPin(101, T0 - 10),
        TermsPin(102, T0 + 1000),
        TermsPin(200, T0 - 500, frozenset({7})),
        TermsPin(201, T0 + 500, frozenset({7, 8})),
    )
    engine = make_engine(spec(offer(1, terms=terms)))
    assert engine.decide(click(webmaster_id=7)).terms_version_id == 200
    assert engine.decide(click(webmaster_id=7, ts=T0 + 500)).terms_version_id == 201
    assert engine.decide(click(webmaster_id=9)).terms_version_id == 101
    assert engine.decide(click(webmaster_id=9, ts=T0 + 1000)).terms_version_id == 102
    assert engine.decide(click(webmaster_id=8, ts=T0)).terms_version_id == 101  # pin for 8 not yet effective
    assert engine.decide(click(webmaster_id=9, ts=T0 - 2000)).terms_version_id is None


DEEP = frozenset({"shop.example", ".cdn.example"})


@pytest.mark.parametrize(
    ("deep_link", "expected"),
    [
        ("https://shop.example/product/1?x=2", "https://shop.example/product/1?x=2"),
        ("http://img.cdn.example/p", "http://img.cdn.example/p"),
        ("https://cdn.example/p", "https://cdn.example/p"),
        ("https://SHOP.example/p", "https://SHOP.example/p"),
        ("https://evil.example/", None),
        ("https://shop.example.evil.example/", None),
        ("https://evilshop.example/", None),
        ("javascript:alert(1)//shop.example", None),
        ("JaVaScRiPt:alert(document.domain)", None),
        ("data:text/html,<script>1</script>", None),
        ("//evil.example/", None),
        ("https://shop.example@evil.example/", None),
        ("https://evil.example\\@shop.example/", None),
        ("https://evil.example\\.shop.example/", None),
        ("https://shop.example/\r\nLocation: https://evil.example", None),
        (" https://shop.example/", None),
        ("https://shop.example:99999/", None),
        ("ftp://shop.example/", None),
        ("https://shöp.example/", None),
    ],
)
def test_deep_links_never_open_redirect(
    make_engine: EngineFactory, deep_link: str, expected: str | None
) -> None:
    engine = make_engine(spec(offer(1, "https://shop.example/lp?c={click_id}", hosts=DEEP)))
    d = engine.decide(click(deep_link=deep_link))
    assert d.url == (expected or "https://shop.example/lp?c=ck1")
    assert urlsplit(d.url).hostname in {"shop.example", "img.cdn.example", "cdn.example"}


def test_deep_link_macro_embeds_the_encoded_link(make_engine: EngineFactory) -> None:
    template = "https://track.shop.example/r?c={click_id}&to={deep_link}"
    engine = make_engine(spec(offer(1, template, hosts=frozenset({"shop.example"}))))
    d = engine.decide(click(deep_link="https://shop.example/p?a=1&b=2"))
    assert d.url == "https://track.shop.example/r?c=ck1&to=https%3A%2F%2Fshop.example%2Fp%3Fa%3D1%26b%3D2"
    assert (
        engine.decide(click(deep_link="https://evil.example/")).url
        == "https://track.shop.example/r?c=ck1&to="
    )


def test_decide_batch_equals_sequential_decides(make_engine: EngineFactory) -> None:
    clicks = [click(click_id=f"c{i}", ip=f"10.0.0.{i % 3}", ts=T0 + i) for i in range(20)]
    one = make_engine(spec(offer(1)))
    many = make_engine(spec(offer(1)))
    assert many.decide_batch(clicks) == [one.decide(c) for c in clicks]


def test_rejects_non_click_input(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1)))
    with pytest.raises((TypeError, AttributeError)):
        engine.decide({"target_id": 1})


@pytest.mark.parametrize(
    "fraud",
    [
        FraudSettings(duplicate_window_s=0.0),
        FraudSettings(ip_velocity_window_s=-1.0),
        FraudSettings(ua_cache_size=0),
    ],
)
def test_invalid_fraud_settings_are_rejected(engine_cls: type, fraud: FraudSettings) -> None:
    with pytest.raises(ValueError):
        build_snapshot(spec(offer(1), fraud=fraud))


def test_unknown_default_landing_is_rejected(engine_cls: type) -> None:
    with pytest.raises(ValueError):
        build_snapshot(spec(OfferSpec(1, (LandingSpec(1, "https://a.example/"),), 2)))


def test_none_values_are_left_empty(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1, "https://shop.example/?c={click_id}&g={geo}&s={sub1}")))
    d = engine.decide(Click(1, 7, T0, None, None, None, subs=("",), country=None))  # type: ignore[arg-type]
    assert d.url == "https://shop.example/?c=&g=&s="
    assert d.verdict.flags == FraudFlag.INVALID_IP | FraudFlag.EMPTY_UA
