"""Fraud verdicts: bot user agents, CIDR tables, staff lists, duplicates, velocity and scores."""

from __future__ import annotations

import dataclasses

import pytest

from fastpath import Click, FraudFlag, FraudSettings, ListsSpec, build_snapshot
from fastpath.botua import BotMatcher
from fastpath.data_sources import crawler_user_agent_patterns
from fastpath.netaddr import parse_cidr
from fastpath.reasons import SCORE_WEIGHTS

from .conftest import CHROME, T0, EngineFactory, offer, spec

BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html) "
    "Chrome/126.0.6478.126 Safari/537.36",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.4.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Wget/1.21.4",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "Go-http-client/1.1",
    "Apache-HttpClient/4.5.14 (Java/17.0.8)",
]

BROWSERS = [
    CHROME,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
    "Safari/537.36 "
    "Edg/126.0.2592.87",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.122 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/126.0.6478.54 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 "
    "Chrome/121.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "YaBrowser/24.6.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
    "Safari/537.36 "
    "OPR/111.0.0.0",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile "
    "Safari/537.36 "
    "EdgA/126.0.2592.80",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Mobile/15E148 "
    "Safari/604.1",
    "Mozilla/5.0 (Linux; U; Android 13; ru-ru; Redmi Note 12) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 "
    "Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.10.1-gn",
]


def click(n: int = 0, **kw: object) -> Click:
    base: dict[str, object] = {
        "target_id": 1,
        "webmaster_id": 7,
        "ts": T0,
        "ip": f"81.2.{n >> 8 & 255}.{n & 255}",
        "user_agent": CHROME,
        "click_id": f"c{n}",
    }
    base.update(kw)
    return Click(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("ua", BOTS)
def test_known_bots_are_flagged(make_engine: EngineFactory, ua: str) -> None:
    verdict = make_engine(spec(offer(1), datacenter_ranges=None, bot_patterns=None)).check_fraud(
        click(user_agent=ua)
    )
    assert verdict.flags & FraudFlag.BOT_UA
    assert not verdict.valid and verdict.score == SCORE_WEIGHTS[FraudFlag.BOT_UA]


@pytest.mark.parametrize("ua", BROWSERS)
def test_real_browsers_are_not_flagged(make_engine: EngineFactory, ua: str) -> None:
    verdict = make_engine(spec(offer(1), bot_patterns=None)).check_fraud(click(user_agent=ua))
    assert verdict.valid and verdict.flags == 0 and verdict.score == 0


def test_bot_verdict_is_cached_and_stable(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1)))
    flags = [
        engine.check_fraud(click(i, user_agent=BOTS[i % 2] if i % 3 else CHROME)).flags for i in range(30)
    ]
    assert flags == [FraudFlag.BOT_UA if i % 3 else 0 for i in range(30)]
    assert 1 <= engine.state_stats()["ua_cache"] <= 3


class CountingBots(BotMatcher):
    """The real bot list, counting how often an engine consults it (a cache miss)."""

    def __init__(self) -> None:
        super().__init__(crawler_user_agent_patterns())
        self.calls = 0

    def is_bot(self, user_agent: str) -> bool:
        self.calls += 1
        return super().is_bot(user_agent)


@pytest.mark.parametrize("size", [4, 64])
def test_user_agents_that_share_a_cache_set_stay_cached(make_engine: EngineFactory, size: int) -> None:
    """As many user agents as the cache holds, cycled: each is matched against the bot list once. With a
    direct-mapped table two of them landing in one slot would evict each other on every click; the compiled
    cache is 4-way set associative, so four agents whose hashes share a set (size 4: one set) all stay."""
    snapshot = build_snapshot(spec(offer(1), fraud=FraudSettings(ua_cache_size=size)))
    bots = CountingBots()
    engine = make_engine(dataclasses.replace(snapshot, bots=bots))
    agents = [f"{CHROME} build/{n}" for n in range(4)] + [BOTS[0]]
    agents = [ua for ua in agents if size > 4 or ua != BOTS[0]]
    flags = [engine.check_fraud(click(i, user_agent=agents[i % len(agents)])).flags for i in range(40)]
    assert bots.calls == len(agents)
    assert engine.state_stats()["ua_cache"] == len(agents)
    assert [f & FraudFlag.BOT_UA for f in flags] == [
        FraudFlag.BOT_UA if agents[i % len(agents)] == BOTS[0] else 0 for i in range(40)
    ]


def test_empty_user_agent(make_engine: EngineFactory) -> None:
    assert make_engine(spec(offer(1))).check_fraud(click(user_agent="")).flags == FraudFlag.EMPTY_UA


RANGES = ("10.0.0.0/24", "10.0.1.0/24", "10.0.1.128/25", "192.0.2.7/32", "2001:db8::/32", "2001:db8:1::1/128")


@pytest.mark.parametrize(
    ("ip", "inside"),
    [
        ("10.0.0.0", True),
        ("10.0.1.255", True),  # adjacent ranges merge
        ("10.0.2.0", False),
        ("9.255.255.255", False),
        ("192.0.2.7", True),
        ("192.0.2.6", False),
        ("192.0.2.8", False),
        ("::ffff:10.0.0.5", True),  # IPv4-mapped IPv6 is the IPv4 address
        ("::ffff:a00:5", True),
        ("2001:db8::", True),
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", True),
        ("2001:db9::", False),
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", False),
        ("2001:0db8:0001:0000:0000:0000:0000:0001", True),
        ("::a00:5", False),  # IPv4-compatible (deprecated) is not IPv4-mapped
    ],
)
def test_cidr_edges(make_engine: EngineFactory, ip: str, inside: bool) -> None:
    engine = make_engine(spec(offer(1), datacenter_ranges=tuple(parse_cidr(c) for c in RANGES)))
    assert bool(engine.check_fraud(click(ip=ip)).flags & FraudFlag.DATACENTER_IP) is inside


@pytest.mark.parametrize(
    ("cidr", "ip", "inside"),
    [
        ("0.0.0.0/0", "0.0.0.0", True),
        ("0.0.0.0/0", "255.255.255.255", True),
        ("0.0.0.0/0", "2001:db8::1", False),
        ("::/0", "2001:db8::1", True),
        ("::/0", "::", True),
        ("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", True),
        ("::/0", "1.2.3.4", True),
        ("255.255.255.255/32", "255.255.255.255", True),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", True),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", False),
        ("10.0.0.1/8", "10.255.255.255", True),  # host bits tolerated
    ],
)
def test_cidr_extremes(make_engine: EngineFactory, cidr: str, ip: str, inside: bool) -> None:
    engine = make_engine(spec(offer(1), lists=ListsSpec(blocked_ips=(cidr,))))
    assert bool(engine.check_fraud(click(ip=ip)).flags & FraudFlag.BLOCKED_IP) is inside


@pytest.mark.parametrize(
    "ip", ["", "1.2.3", "01.2.3.4", "256.0.0.1", "1.2.3.4 ", "example.com", "::g", "1:2"]
)
def test_invalid_ip(make_engine: EngineFactory, ip: str) -> None:
    verdict = make_engine(spec(offer(1))).check_fraud(click(ip=ip))
    assert verdict.flags == FraudFlag.INVALID_IP


def test_bundled_datacenter_ranges(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1), datacenter_ranges=None))
    assert engine.check_fraud(click(ip="66.249.66.1")).flags & FraudFlag.DATACENTER_IP  # Googlebot
    assert engine.check_fraud(click(ip="::ffff:66.249.66.1", ts=T0 + 1)).flags & FraudFlag.DATACENTER_IP
    assert not engine.check_fraud(click(ip="192.0.2.1")).flags & FraudFlag.DATACENTER_IP


def test_staff_lists_and_allow_beats_block(make_engine: EngineFactory) -> None:
    lists = ListsSpec(
        blocked_ips=("198.51.100.0/24",),
        allowed_ips=("198.51.100.7",),
        blocked_subs=frozenset({"bad", "meh"}),
        allowed_subs=frozenset({"meh"}),
        blocked_referrer_domains=frozenset({"spam.example"}),
        allowed_referrer_domains=frozenset({"ok.spam.example"}),
        blocked_webmasters=frozenset({66, 67}),
        allowed_webmasters=frozenset({67}),
    )
    dc = (parse_cidr("198.51.100.0/24"),)
    engine = make_engine(spec(offer(1), lists=lists, datacenter_ranges=dc))
    assert (
        engine.check_fraud(click(1, ip="198.51.100.8")).flags
        == FraudFlag.BLOCKED_IP | FraudFlag.DATACENTER_IP
    )
    assert engine.check_fraud(click(2, ip="198.51.100.7")).flags == 0
    assert engine.check_fraud(click(3, subs=("x", "", "bad"))).flags == FraudFlag.BLOCKED_SUB
    assert engine.check_fraud(click(4, subs=("meh",))).flags == 0
    for n, ref, flagged in [
        (5, "https://spam.example/a", True),
        (6, "http://a.b.SPAM.example:8080/x", True),
        (7, "https://ok.spam.example/", False),
        (8, "https://notspam.example/", False),
        (9, "not a url", False),
    ]:
        assert (
            bool(engine.check_fraud(click(n, referrer=ref)).flags & FraudFlag.BLOCKED_REFERRER) is flagged
        ), ref
    assert engine.check_fraud(click(10, webmaster_id=66)).flags == FraudFlag.BLOCKED_WEBMASTER
    assert engine.check_fraud(click(11, webmaster_id=67)).flags == 0


def test_duplicate_window_edge(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1), fraud=FraudSettings(duplicate_window_s=3600.0)))
    first = engine.check_fraud(click(ts=T0))
    assert first.duplicate_age == -1.0 and first.valid
    dup = engine.check_fraud(click(ts=T0 + 3599.5))
    assert dup.flags == FraudFlag.DUPLICATE_CLICK and dup.duplicate_age == 3599.5
    # Exactly at first + window the window has expired: not a duplicate, and a new window starts there.
    assert engine.check_fraud(click(ts=T0 + 3600.0)).duplicate_age == -1.0
    assert engine.check_fraud(click(ts=T0 + 3601.0)).duplicate_age == 1.0
    # Any change of ip, ua, offer or webmaster is another key.
    assert engine.check_fraud(click(ts=T0 + 3602.0, user_agent=CHROME + " x")).valid
    assert engine.check_fraud(click(ts=T0 + 3602.0, target_id=2)).valid
    assert engine.check_fraud(click(ts=T0 + 3602.0, webmaster_id=8)).valid
    assert engine.check_fraud(click(ts=T0 + 3602.0, smartlink=True)).valid


def test_ip_velocity_default_is_more_than_60_per_minute(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1)))
    verdicts = [engine.check_fraud(click(ts=T0 + i * 0.5, user_agent=f"{CHROME} {i}")) for i in range(61)]
    assert [v.ip_count for v in verdicts] == list(range(1, 62))
    assert all(v.valid for v in verdicts[:60])
    assert verdicts[60].flags == FraudFlag.VELOCITY_IP and verdicts[60].ip_count == 61


def test_velocity_window_granularity(make_engine: EngineFactory) -> None:
    # 60 s window counted in six 10 s sub-buckets aligned on epoch multiples of 10 s: a click counts while its
    # sub-bucket is the current one or one of the five before it (so for 50 to 60 s).
    engine = make_engine(spec(offer(1), fraud=FraudSettings(ip_velocity_limit=2)))
    times = (0, 9.99, 59.99, 60.0, 70.0, 119.0, 120.0)
    counts = [engine.check_fraud(click(ts=T0 + t, user_agent=f"u{t}")).ip_count for t in times]
    assert counts == [1, 2, 3, 2, 3, 3, 3]


def test_sub_velocity(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1), fraud=FraudSettings(sub_velocity_limit=3)))
    verdicts = [engine.check_fraud(click(i, ts=T0 + i, subs=("placement",))) for i in range(5)]
    assert [v.sub_count for v in verdicts] == [1, 2, 3, 4, 5]
    assert [bool(v.flags & FraudFlag.VELOCITY_SUB) for v in verdicts] == [False, False, False, True, True]
    assert engine.check_fraud(click(9, subs=("",))).sub_count == 0
    assert engine.check_fraud(click(10, subs=("placement",), webmaster_id=8)).sub_count == 1


def test_score_is_capped_sum_of_weights(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1), fraud=FraudSettings(ip_velocity_limit=1)))
    engine.check_fraud(click(ts=T0))
    verdict = engine.check_fraud(click(ts=T0 + 1))
    assert verdict.flags == FraudFlag.DUPLICATE_CLICK | FraudFlag.VELOCITY_IP
    assert verdict.score == min(
        100, SCORE_WEIGHTS[FraudFlag.DUPLICATE_CLICK] + SCORE_WEIGHTS[FraudFlag.VELOCITY_IP]
    )
    assert verdict.reasons == FraudFlag.DUPLICATE_CLICK | FraudFlag.VELOCITY_IP


def test_flagged_click_still_gets_its_redirect(make_engine: EngineFactory) -> None:
    engine = make_engine(spec(offer(1), lists=ListsSpec(blocked_webmasters=frozenset({7}))))
    d = engine.decide(click(user_agent="curl/8.0"))
    assert not d.is_trafficback and d.url.startswith("https://shop.example/")
    assert d.verdict.flags == FraudFlag.BOT_UA | FraudFlag.BLOCKED_WEBMASTER
