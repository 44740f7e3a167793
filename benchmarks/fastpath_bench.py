"""Micro-benchmark of fastpath: compiled engine vs pure-Python twin on a realistic click mix.

Run:  .venv/bin/python benchmarks/fastpath_bench.py [--quick] [--clicks N] [--seed S] [--repeat R]
      [--no-gc-freeze]

Mix: 10k offers (targeting, schedules, caps, terms pins), 50k synthetic CIDR ranges as the data-centre table,
the full crawler-user-agents list, ~1M distinct IPs (full run), and 5 % invalid traffic of each kind (bot UA,
data-centre IP, blocked IP, blocked sub, blocked referrer, blocked webmaster, duplicate, IP velocity).
Prints decisions/s per call (``decide``), in batch (``decide_batch``, a list of Decisions) and as
struct-of-arrays (``decide_many``; ``many_urls`` also renders the URL of every valid click) for both
implementations, their ratios, the snapshot build time and the memory footprint. Before timing, the compiled
engine's ``decide``, ``decide_batch`` and ``decide_many`` results on the first clicks (the twin's sample) are
checked field for field against the twin's, so a faster engine that decides differently fails the run.
The load average before and after is printed too (the box is shared: quote it with the figures).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

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
from fastpath.data_sources import crawler_user_agent_patterns

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
BATCH = (
    4096  # clicks per decide_batch call, as a server batching requests would; results are dropped per batch
)
COUNTRIES = ["US", "GB", "DE", "FR", "ES", "IT", "BR", "MX", "IN", "ID", "RU", "UA", "PL", "TR", "JP"]
DEVICES = ["desktop", "mobile", "tablet"]
OSES = ["windows", "macos", "android", "ios", "linux"]
BROWSER_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v} "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/{v}.0 "
    "Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1",
]
BOT_UAS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.4.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 "
    "Safari/537.36",
]


def _ip4(n: int) -> str:
    return f"{n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def make_spec(rng: random.Random, offers: int, cidrs: int, webmasters: int) -> SnapshotSpec:
    offer_specs = []
    approvals: set[tuple[int, int]] = set()
    full = (1 << 24) - 1
    for oid in range(1, offers + 1):
        landings = tuple(
            LandingSpec(
                oid * 10 + k,
                f"https://shop{oid}.example/lp{k}?clickid={{click_id}}&aff={{aff_id}}&s1={{sub1}}&s2={{sub2}}"
                f"&geo={{geo}}&o={{offer_id}}",
                frozenset({f"shop{oid}.example"}),
            )
            for k in range(1 + oid % 2)
        )
        targeting = TargetingSpec(
            countries=frozenset(rng.sample(COUNTRIES, 8)) if oid % 10 < 3 else frozenset(),
            devices=frozenset({"mobile", "tablet"}) if oid % 20 == 0 else frozenset(),
            schedule=ScheduleSpec((full, full, full, full, full, 0, 0)) if oid % 10 == 9 else None,
        )
        caps = CapSpec(daily=1000, total=100000, per_webmaster=oid % 2 == 0) if oid % 20 == 1 else None
        terms = (TermsPin(oid * 100, T0 - 86400), TermsPin(oid * 100 + 1, T0 - 3600, frozenset({1, 2, 3})))
        offer_specs.append(
            OfferSpec(
                oid,
                landings,
                landings[0].id,
                public=oid % 2 == 0,
                targeting=targeting,
                click_caps=caps,
                terms=terms,
            )
        )
        if oid % 2:
            approvals.update((oid, wm) for wm in rng.sample(range(1, webmasters + 1), 50))
    ranges = []
    for _ in range(cidrs):
        base = rng.randrange(1 << 32) & ~0xFF
        ranges.append(f"{_ip4(base)}/{rng.choice((22, 24, 24, 26, 28))}")
    from fastpath.netaddr import parse_cidr

    return SnapshotSpec(
        network_id=1,
        offers=tuple(offer_specs),
        approvals=frozenset(approvals),
        banned_webmasters=frozenset({webmasters}),
        smartlinks={1: ((1, 5), (2, 3), (4, 2))},
        lists=ListsSpec(
            blocked_ips=("203.0.113.0/24",),
            blocked_subs=frozenset({"spam-sub"}),
            blocked_referrer_domains=frozenset({"bad-ref.example"}),
            blocked_webmasters=frozenset({webmasters - 1}),
        ),
        trafficback_url="https://tb.example/?o={offer_id}&c={click_id}",
        fraud=FraudSettings(),
        counted_at=T0,
        datacenter_ranges=tuple(parse_cidr(c) for c in ranges),
    )


def make_clicks(
    rng: random.Random, n: int, offers: int, webmasters: int, dc_ranges: Sequence[str]
) -> list[Click]:
    uas = [t.format(v=v) for t in BROWSER_UAS for v in range(100, 140)]
    clicks: list[Click] = []
    hot_ip = "198.51.100.7"
    for i in range(n):
        kind = rng.randrange(8) if rng.random() < 0.4 else -1  # 8 invalid kinds x 5 % = 40 %
        ip = _ip4(rng.randrange(1 << 32))
        ua = rng.choice(uas)
        wm = rng.randrange(1, webmasters - 1)
        subs = (f"s{rng.randrange(5000)}", f"p{rng.randrange(50)}", "")
        ref = "https://news.example/article"
        if kind == 0:
            ua = rng.choice(BOT_UAS)
        elif kind == 1:
            ip = dc_ranges[rng.randrange(len(dc_ranges))].split("/")[0]
        elif kind == 2:
            ip = f"203.0.113.{rng.randrange(256)}"
        elif kind == 3:
            subs = ("spam-sub", "", "")
        elif kind == 4:
            ref = "https://x.bad-ref.example/p"
        elif kind == 5:
            wm = webmasters - 1
        elif kind == 6 and clicks:
            clicks.append(
                clicks[rng.randrange(max(0, len(clicks) - 1000), len(clicks))]._replace(ts=T0 + i * 1e-3)
            )
            continue
        elif kind == 7:
            ip = hot_ip
        clicks.append(
            Click(
                target_id=rng.randrange(1, offers + 1),
                webmaster_id=wm,
                ts=T0 + i * 1e-3,
                ip=ip,
                user_agent=ua,
                click_id=f"c{i:012x}",
                subs=subs,
                country=rng.choice(COUNTRIES),
                device=rng.choice(DEVICES),
                os=rng.choice(OSES),
                referrer=ref,
            )
        )
    return clicks


def _rate(make: Callable[[], Callable[[], object]], n: int, repeat: int) -> float:
    """Best of ``repeat`` runs; each run gets a fresh engine, built outside the timed part."""
    best = float("inf")
    for _ in range(repeat):
        run = make()
        gc.collect()
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return n / best


def measure(
    engine_cls: Any, snapshot: fastpath.Snapshot, clicks: list[Click], repeat: int
) -> dict[str, float]:
    def per_call() -> Callable[[], object]:
        decide = engine_cls(snapshot).decide

        def run() -> None:
            for click in clicks:
                decide(click)

        return run

    chunks = [clicks[i : i + BATCH] for i in range(0, len(clicks), BATCH)]

    def batch() -> Callable[[], object]:
        decide_batch = engine_cls(snapshot).decide_batch

        def run() -> None:
            for chunk in chunks:
                decide_batch(chunk)

        return run

    def many() -> Callable[[], object]:
        decide_many = engine_cls(snapshot).decide_many

        def run() -> None:
            for chunk in chunks:
                decide_many(chunk)

        return run

    def many_urls() -> Callable[[], object]:
        decide_many = engine_cls(snapshot).decide_many

        def run() -> None:
            for chunk in chunks:
                result = decide_many(chunk)
                url = result.url
                for i, flags in enumerate(result.flags):
                    if not flags:  # a server renders the redirect of the clicks it serves
                        url(i)

        return run

    return {
        "per_call": _rate(per_call, len(clicks), repeat),
        "batch": _rate(batch, len(clicks), repeat),
        "many": _rate(many, len(clicks), repeat),
        "many_urls": _rate(many_urls, len(clicks), repeat),
    }


def check_against_twin(snapshot: fastpath.Snapshot, clicks: list[Click]) -> int:
    """The compiled engine's decisions on ``clicks`` equal the twin's in every mode; returns the count."""
    engine_c = fastpath.engine_c
    assert engine_c is not None
    expected = fastpath.engine_py.Engine(snapshot).decide_batch(clicks)
    per_call = engine_c.Engine(snapshot).decide
    modes = {
        "decide": [per_call(c) for c in clicks],
        "decide_batch": engine_c.Engine(snapshot).decide_batch(clicks),
        "decide_many": [],
    }
    many = engine_c.Engine(snapshot)
    for i in range(0, len(clicks), BATCH):
        modes["decide_many"].extend(many.decide_many(clicks[i : i + BATCH]).decisions())
    for mode, got in modes.items():
        bad = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
        if bad:
            raise SystemExit(f"{mode}: {len(bad)} decisions differ from the twin, first at click {bad[0]}")
    return len(clicks)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small run (20k clicks, 1k offers, 5k CIDRs)")
    parser.add_argument(
        "--no-gc-freeze", action="store_true", help="leave the snapshot in the GC's generations"
    )
    parser.add_argument("--clicks", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat", type=int, default=0, help="timed runs per figure (best taken); 3 by default"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    offers, cidrs, webmasters = (1000, 5000, 500) if args.quick else (10_000, 50_000, 2000)
    n = args.clicks or (20_000 if args.quick else 1_200_000)  # ~1M distinct IPs in the full run
    twin_n = min(n, 20_000 if args.quick else 100_000)
    repeat = args.repeat or (2 if args.quick else 3)

    spec = make_spec(rng, offers, cidrs, webmasters)
    crawler_user_agent_patterns()
    build_snapshot(SnapshotSpec(0, ()))  # warm the bundled bot list and ranges caches
    started = time.perf_counter()
    snapshot = build_snapshot(spec)
    build_s = time.perf_counter() - started
    del snapshot
    gc.collect()
    tracemalloc.start()
    snapshot = build_snapshot(spec)
    snapshot_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    dc_ranges = [_ip4(s & 0xFFFFFFFF) + "/32" for s in snapshot.datacenter.starts[:1000] if s >> 32 == 0xFFFF]
    clicks = make_clicks(rng, n, offers, webmasters, dc_ranges)
    distinct_ips = len({c.ip for c in clicks})
    if not args.no_gc_freeze:
        gc.collect()
        gc.freeze()  # as a click server does after loading a snapshot: long-lived objects leave GC scans

    load_before = os.getloadavg()
    results: dict[str, Any] = {
        "offers": offers,
        "cidr_ranges": cidrs,
        "merged_ranges": len(snapshot.datacenter),
        "bot_patterns": snapshot.bots.pattern_count,
        "clicks": n,
        "distinct_ips": distinct_ips,
        "snapshot_build_s": round(build_s, 3),
        "gc_freeze": not args.no_gc_freeze,
        "snapshot_traced_mib": round(snapshot_bytes / 2**20, 1),
    }
    engine_c = fastpath.engine_c
    if engine_c is not None:
        results["checked_against_twin"] = check_against_twin(snapshot, clicks[:twin_n])
        c_rates = measure(engine_c.Engine, snapshot, clicks, repeat)
        results["c_per_call"] = round(c_rates["per_call"])
        results["c_batch"] = round(c_rates["batch"])
        results["c_many"] = round(c_rates["many"])
        results["c_many_urls"] = round(c_rates["many_urls"])
        engine = engine_c.Engine(snapshot)
        engine.decide_batch(clicks)
        stats = engine.state_stats()
        results["c_state_bytes"] = stats["state_bytes"]
        results["c_tracked"] = {k: stats[k] for k in ("duplicate_keys", "ip_keys", "sub_keys", "ua_cache")}
        invalid = sum(1 for d in engine_c.Engine(snapshot).decide_batch(clicks) if not d.verdict.valid)
        results["invalid_share"] = round(invalid / n, 3)
    py_rates = measure(fastpath.engine_py.Engine, snapshot, clicks[:twin_n], 1)
    results["py_clicks"] = twin_n
    results["py_per_call"] = round(py_rates["per_call"])
    results["py_batch"] = round(py_rates["batch"])
    results["py_many"] = round(py_rates["many"])
    if engine_c is not None:
        results["ratio_per_call"] = round(results["c_per_call"] / results["py_per_call"], 1)
        results["ratio_batch"] = round(results["c_batch"] / results["py_batch"], 1)
        results["ratio_many"] = round(results["c_many"] / results["py_many"], 1)
    results["load_avg_before"] = [round(x, 2) for x in load_before]
    results["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    results["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
