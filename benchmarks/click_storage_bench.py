"""Click storage on PostgreSQL: raw COPY vs ``store()`` (COPY + dedupe + rollups) vs the old INSERT path.

Run:  .venv/bin/python benchmarks/click_storage_bench.py [--clicks N] [--batch B] [--rounds R] [--seed S]

Creates the scratch database ``cpanet_bench`` on 127.0.0.1 (dropped at the end unless ``--keep``), migrates it
with ``cpanet db migrate``, generates N realistic click events (skewed webmaster and offer popularity, a few
offers and placements per webmaster, returning visitors, 8 % invalid, 3 % trafficback) over ``--hours`` hours
ending now, and stores them in batches of B, one transaction per batch, on every path:

  a  baseline: asyncpg ``copy_records_to_table`` into a plain table (``LIKE click``: no partitions, no index)
  b  ``network.tracking.storage.store``: COPY to staging, INSERT .. ON CONFLICT DO NOTHING RETURNING into the
     partitioned table, unique visitors and rollups upserted from what was new, all in one statement
  c  the old path: piccolo multi-row INSERT .. ON CONFLICT DO NOTHING, no rollups (for reference)
  d  diagnostic: COPY straight into the partitioned ``click`` table (its indexes, no dedupe, no rollups)
  e  diagnostic: COPY to staging + INSERT .. SELECT .. ON CONFLICT DO NOTHING (dedupe, no rollups)

Every path starts from empty tables (TRUNCATE, then CHECKPOINT) and turns the same events into records, so
the figures include the per-click Python work. Prints clicks/s per path and round, the medians and the ratio
b/a (the issue's goal: b >= 80 % of a).

``--compare-store FILE`` adds path b0: ``store()`` of another version of network/tracking/storage.py (for
instance ``git show REV:network/tracking/storage.py > /tmp/storage_before.py``), loaded as its own module
against the same schema, and run next to b in every round (b0 first in odd rounds, b first in even ones),
for a before/after of a change to click storage in one run; prints the ratio b/b0 too.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from fastpath.reasons import FraudFlag, score_of
from network.db import bind_tables, build_engine, start, stop
from network.settings import DatabaseSettings
from network.tracking.clickid import new_click_id
from network.tracking.events import ClickEvent
from network.tracking.storage import COLUMNS, record, staging_ddl, store
from network.tracking.tables import Click

ROOT = Path(__file__).resolve().parent.parent

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "cpanet_bench"
MAX_CLICKS = 2_000_000
COUNTRIES = ["US", "GB", "DE", "FR", "BR", "IN", "ID", "MX", "ES", "IT", "PL", "TR", "JP", "RU", "UA"]
COUNTRY_WEIGHTS = [30, 10, 9, 7, 8, 8, 5, 5, 4, 4, 3, 3, 2, 1, 1]
DEVICES = [("desktop", "windows"), ("desktop", "macos"), ("mobile", "android"), ("mobile", "ios")]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v} "
    "Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1",
]
INVALID = [
    FraudFlag.BOT_UA,
    FraudFlag.DATACENTER_IP,
    FraudFlag.DUPLICATE_CLICK,
    FraudFlag.VELOCITY_IP,
    FraudFlag.BOT_UA | FraudFlag.DATACENTER_IP,
]
TRAFFICBACK = ["cap_reached", "geo_mismatch", "no_access"]
OLD_INSERT_ROWS = 1000  # piccolo binds every value: 31 columns x 1000 rows stays under PostgreSQL's 32,767


def events(n: int, hours: float, seed: int) -> list[ClickEvent]:
    rng = random.Random(seed)
    webmasters = 500
    # Each webmaster promotes a few offers on a few placements (sub1); popularity is skewed.
    promotes = {w: rng.sample(range(1, 301), rng.randint(1, 5)) for w in range(1, webmasters + 1)}
    placements = {w: [f"pl{w}-{k}" for k in range(rng.randint(1, 20))] for w in range(1, webmasters + 1)}
    wm_weights = [1 / w**0.9 for w in range(1, webmasters + 1)]
    uas = [ua.format(v=v) for ua in UAS for v in range(100, 140)]
    returning: list[str] = []
    end = time.time()
    begin = end - hours * 3600
    picks = rng.choices(range(1, webmasters + 1), weights=wm_weights, k=n)
    out = []
    for i, wm in enumerate(picks):
        ts = begin + (end - begin) * i / n
        network = 1 + wm % 3
        offer: int | None = rng.choice(promotes[wm])
        reason = "ok"
        if rng.random() < 0.03:
            reason = rng.choice(TRAFFICBACK)
            offer = None if reason == "no_access" else offer
        flags = int(rng.choice(INVALID)) if rng.random() < 0.08 else 0
        if returning and rng.random() < 0.3:
            visitor = rng.choice(returning)
        else:
            visitor = f"{rng.getrandbits(128):032x}" if rng.random() < 0.95 else ""
            if visitor and len(returning) < 50_000:
                returning.append(visitor)
        device, os_name = rng.choice(DEVICES)
        out.append(
            ClickEvent(
                new_click_id(ts),
                network,
                ts,
                wm,
                offer,
                None if offer is None else offer * 10,
                None if offer is None else offer * 100,
                reason != "ok",
                reason,
                flags == 0,
                flags,
                score_of(flags),
                f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                rng.choice(uas),
                f"https://site{rng.randint(1, 5000)}.example/article/{rng.randint(1, 10**6)}"
                if rng.random() < 0.5
                else "",
                rng.choices(COUNTRIES, weights=COUNTRY_WEIGHTS)[0],
                device,
                os_name,
                visitor,
                f"src{rng.randint(1, 30)}" if rng.random() < 0.3 else "",
                "",
                (rng.choice(placements[wm]), f"{rng.getrandbits(40):x}", "") if rng.random() < 0.9 else (),
            )
        )
    return out


def batches(items: list[ClickEvent], size: int) -> list[list[ClickEvent]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def migrate(url: str) -> None:
    env = {**os.environ, "CPANET_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "network.cli", "db", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"cpanet db migrate failed:\n{done.stdout}\n{done.stderr}")


async def reset(conn: Any) -> None:
    await conn.execute(
        "TRUNCATE click, click_unique_hourly, click_rollup_hourly, click_rollup_invalid_hourly, "
        "click_rollup_daily, click_rollup_daily_offer, click_rollup_daily_sub1, "
        "click_copy_baseline"
    )
    await conn.execute("CHECKPOINT")


StorePath = Callable[[list[ClickEvent]], Awaitable[None]]


def copy_baseline(conn: Any) -> StorePath:
    async def one(group: list[ClickEvent]) -> None:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "click_copy_baseline", records=[record(e) for e in group], columns=COLUMNS
            )

    return one


async def store_batch(group: list[ClickEvent]) -> None:
    await store(group)


def store_of(path: Path) -> StorePath:
    """``store()`` of another copy of the storage module (--compare-store)."""
    spec = importlib.util.spec_from_file_location("storage_compared", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    async def one(group: list[ClickEvent]) -> None:
        await module.store(group)

    return one


async def old_insert(group: list[ClickEvent]) -> None:
    async with Click._meta.db.transaction():
        for i in range(0, len(group), OLD_INSERT_ROWS):
            rows = [
                Click(**dict(zip(COLUMNS, record(e), strict=True))) for e in group[i : i + OLD_INSERT_ROWS]
            ]
            await Click.insert(*rows).on_conflict(action="DO NOTHING")


def copy_partitioned(conn: Any) -> StorePath:
    async def one(group: list[ClickEvent]) -> None:
        async with conn.transaction():
            await conn.copy_records_to_table("click", records=[record(e) for e in group], columns=COLUMNS)

    return one


def copy_dedupe(conn: Any) -> StorePath:
    cols = ", ".join(COLUMNS)
    insert = f"INSERT INTO click ({cols}) SELECT {cols} FROM click_staging ON CONFLICT DO NOTHING"  # noqa: S608

    async def one(group: list[ClickEvent]) -> None:
        async with conn.transaction():
            await conn.execute(staging_ddl())
            await conn.copy_records_to_table(
                "click_staging", records=[record(e) for e in group], columns=COLUMNS
            )
            await conn.execute(insert)

    return one


@dataclass
class Run:
    clicks: int
    seconds: float
    batch_seconds: list[float]

    @property
    def rate(self) -> float:
        """Clicks per second over the whole run."""
        return self.clicks / self.seconds

    @property
    def median_rate(self) -> float:
        """Clicks per second of the median batch: steadier than ``rate`` on a shared machine."""
        return self.clicks / len(self.batch_seconds) / statistics.median(self.batch_seconds)


async def timed(path: StorePath, groups: list[list[ClickEvent]]) -> Run:
    times = []
    began = time.perf_counter()
    for group in groups:
        start_batch = time.perf_counter()
        await path(group)
        times.append(time.perf_counter() - start_batch)
    return Run(sum(len(g) for g in groups), time.perf_counter() - began, times)


async def bench(args: argparse.Namespace) -> None:
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"
    await _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    await _admin(f"CREATE DATABASE {DATABASE}")
    try:
        migrate(url)
        began = time.perf_counter()
        data = events(args.clicks, args.hours, args.seed)
        print(f"generated {len(data):,} events in {time.perf_counter() - began:.1f} s", flush=True)
        groups = batches(data, args.batch)
        settings = DatabaseSettings(url=url, pool_min=1, pool_max=2)
        engine = build_engine(settings)
        bind_tables(engine)
        await start(engine, settings)
        conn = await asyncpg.connect(url)
        try:
            print(
                f"PostgreSQL {await conn.fetchval('SHOW server_version')}, {describe_machine()}", flush=True
            )
            await conn.execute("CREATE TABLE click_copy_baseline (LIKE click INCLUDING DEFAULTS)")
            paths: dict[str, StorePath] = {
                "a raw COPY, plain table": copy_baseline(conn),
                "b store(): COPY + dedupe + rollups": store_batch,
                "c old INSERT path (no rollups)": old_insert,
                "d COPY into partitioned click": copy_partitioned(conn),
                "e COPY + dedupe, no rollups": copy_dedupe(conn),
            }
            if args.compare_store:
                # b0 just before b; the two take turns going first (below).
                paths = dict(
                    item
                    for name, path in paths.items()
                    for item in (
                        [(f"b0 store() of {args.compare_store.name}", store_of(args.compare_store))]
                        if name.startswith("b")
                        else []
                    )
                    + [(name, path)]
                )
            if args.skip_diagnostics:
                paths = {k: v for k, v in paths.items() if k[0] in "abc"}
            results: dict[str, list[Run]] = {name: [] for name in paths}
            for round_no in range(1, args.rounds + 1):
                order = list(paths.items())
                if round_no % 2 == 0 and args.compare_store:
                    i = next(i for i, (name, _) in enumerate(order) if name.startswith("b0"))
                    order[i], order[i + 1] = order[i + 1], order[i]
                for name, path in order:
                    await reset(conn)
                    run = await timed(path, groups)
                    results[name].append(run)
                    print(
                        f"round {round_no} {name:36s} {run.rate:9,.0f} clicks/s overall, "
                        f"{run.median_rate:9,.0f} by median batch",
                        flush=True,
                    )
                    if name.startswith("b"):
                        await check_store(conn, len(data))
            report(results, args)
        finally:
            await conn.close()
            await stop(engine)
    finally:
        if not args.keep:
            await _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


async def check_store(conn: Any, n: int) -> None:
    stored = await conn.fetchval("SELECT count(*) FROM click")
    counted = await conn.fetchval("SELECT sum(clicks) FROM click_rollup_hourly")
    keys = await conn.fetchval("SELECT count(*) FROM click_rollup_hourly")
    uniques = await conn.fetchval("SELECT sum(unique_clicks) FROM click_rollup_hourly")
    assert stored == n and counted == n, (stored, counted, n)
    print(
        f"  check: {stored:,} clicks stored and counted; {keys:,} rollup rows; {uniques:,} unique", flush=True
    )


def describe_machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}, Python {platform.python_version()}"


def report(results: dict[str, list[Run]], args: argparse.Namespace) -> None:
    print(f"\nclicks {args.clicks:,}, batch {args.batch:,}, rounds {args.rounds}, seed {args.seed}")
    print(f"  {'path':36s} {'overall (median of rounds)':>27s} {'by median batch':>16s}   rounds (overall)")
    overall = {name: statistics.median(r.rate for r in runs) for name, runs in results.items()}
    by_batch = {name: statistics.median(r.median_rate for r in runs) for name, runs in results.items()}
    for name, runs in results.items():
        spread = ", ".join(f"{r.rate:,.0f}" for r in runs)
        print(f"  {name:36s} {overall[name]:18,.0f} clicks/s {by_batch[name]:16,.0f}   ({spread})")
    a, b = (next(k for k in results if k.startswith(p)) for p in ("a ", "b "))
    per_round = [rb.rate / ra.rate for ra, rb in zip(results[a], results[b], strict=True)]
    ratio, batch_ratio = overall[b] / overall[a], by_batch[b] / by_batch[a]
    rounds = ", ".join(f"{r:.1%}" for r in per_round)
    print(f"  ratio b/a: overall {ratio:.1%} (per round {rounds}); by median batch {batch_ratio:.1%}")
    print(f"  goal b >= 80 % of a: {'met' if min(ratio, batch_ratio) >= 0.8 else 'NOT met'}")
    b0 = next((k for k in results if k.startswith("b0 ")), None)
    if b0 is not None:
        rounds = ", ".join(f"{rb.rate / r0.rate:.1%}" for r0, rb in zip(results[b0], results[b], strict=True))
        print(
            f"  ratio b/b0: overall {overall[b] / overall[b0]:.1%} (per round {rounds}); "
            f"by median batch {by_batch[b] / by_batch[b0]:.1%}"
        )


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}")
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clicks", type=_bounded(1_000, MAX_CLICKS), default=200_000)
    parser.add_argument("--batch", type=_bounded(500, 2_000), default=1_000)
    parser.add_argument("--rounds", type=_bounded(1, 10), default=3)
    parser.add_argument("--hours", type=float, default=1.0, help="the span of the clicks' times, ending now")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-diagnostics", action="store_true", help="only paths a, b and c")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE} database afterwards")
    parser.add_argument(
        "--compare-store",
        type=Path,
        metavar="FILE",
        help="also time store() of this copy of network/tracking/storage.py (path b0), next to b",
    )
    args = parser.parse_args(argv)
    if urlsplit(ADMIN_URL).hostname != "127.0.0.1":
        raise SystemExit("the benchmark only talks to 127.0.0.1")
    if not 0 < args.hours <= 24:
        raise SystemExit("--hours must be in (0, 24]: the partitions cover today and the days around it")
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
