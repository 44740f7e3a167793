"""The stats report on PostgreSQL over a month of rollups: 10M clicks in 30 days and 200k conversions.

Run:  .venv/bin/python benchmarks/stats_bench.py [--clicks N] [--conversions N] [--runs R] [--http-runs R]
                                                 [--hourly-runs R] [--keep] [--reuse] [--no-http]
                                                 [--no-hourly] [--no-sides]

Creates the scratch database ``cpanet_stats_bench`` on 127.0.0.1 (dropped first if a previous run left it, and
at the end unless ``--keep``; nothing else is touched), migrates it with ``cpanet db migrate``, then:

1. One network (Europe/Berlin), 20 advertisers, 200 offers, 2,000 webmasters.
2. The hourly click rollups that N clicks over the last 30 days produce. The clicks are drawn in SQL
   (``generate_series`` + ``random()``) and grouped by the rollup key as storage groups them, so the rows are
   the ones storing those clicks would leave (unique and invalid are drawn per click, 80 % and 6 %: storage
   derives them from visitors and fraud flags, which changes the counts, not the rows). Webmaster popularity
   is Zipf-like (rank = 2000 * u^6: the top webmaster sends 28 % of the clicks, the top 20 about half); each
   webmaster runs 4 offers and 3 countries of its own (skewed) and up to 50 sub1 values (rank = 50 * u^4).
   The rollup key is dropped while loading and rebuilt after: the table ends as migrated, only faster.
   The daily rollups (``click_rollup_daily``, ``click_rollup_daily_offer`` without webmaster and
   ``click_rollup_daily_sub1`` by webmaster and sub1) are then built from the hourly rows by
   ``network.tracking.storage.rebuild_daily``, the function a time zone change runs: the rows click storage
   would have written for the same clicks (each hourly row summed into its local day).
3. N conversions over the same 30 days and the same skew, every status, 3 % in EUR.
4. The report through ``network.stats.service.report`` with a staff principal (warm-up + R runs), clicks
   from the rollup the service picks (printed after each report). Unless ``--no-sides``, each side alone
   as the service runs it (the click side: the count of its keys first where the report could be over the
   row cap, then the click query; the conversion query, cut into ``service.CONVERSION_PARTS`` runs of days
   on as many connections where ``service.parts_for`` says so; the service runs both sides at once).
   Unless ``--no-hourly``, the reports served from a daily rollup forced onto the hourly one
   (``rollup="hourly"``, --hourly-runs runs), each checked to give the same report as served. Then through
   HTTP (the app served by ``cpanet serve``, httpx on loopback; warm-up + --http-runs runs).

``--reuse`` skips steps 1-3: it migrates the database a ``--keep`` run left (new migrations backfill their
tables from the rows there; the rollups are then vacuumed and analyzed, as autovacuum would) and times its
data, for a second look without generating 10M clicks again.

Prints p50, p95 and max per report against the goal of 200 ms. Figures: docs/benchmarks/stats.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from network.accounts import authn
from network.accounts.schemas import ApiKeyCreate
from network.db import bind_tables, build_engine, stop
from network.db import start as start_engine
from network.demo import _first_admin
from network.errors import ValidationError
from network.principal import Principal
from network.settings import DatabaseSettings
from network.stats import service
from network.stats.schemas import StatsReport
from network.stats.service import StatsQuery
from network.tenants import service as tenants
from network.tracking.storage import rebuild_daily

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "cpanet_stats_bench"
URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
ZONE = "Europe/Berlin"
DAYS = 30
GOAL_MS = 200.0
OFFERS, WEBMASTERS, ADVERTISERS = 200, 2000, 20
COUNTRIES = "ARRAY['US','GB','DE','FR','BR','IN','ID','MX','ES','IT','PL','TR','JP','RU','UA','CA','AU'," + (
    "'NL','SE','KR']"
)

# One simulated click per row of generate_series: ids are offsets from the first offer and webmaster id.
# {lo} and {hi} bound the chunk's hour numbers (0 .. 24 * DAYS). Rows go in hour order, as storage adds them.
_CLICKS = """
INSERT INTO click_rollup_hourly (network, offer, webmaster, sub1, country, hour, clicks, unique_clicks,
    invalid_clicks)
SELECT $1::bigint, $2::bigint + offer, $3::bigint + wm, sub1, country,
    $4::timestamptz + h * interval '1 hour', count(*), count(*) FILTER (WHERE u),
    count(*) FILTER (WHERE NOT v)
FROM (
    SELECT wm, (wm * 37 + floor(random() ^ 2 * 4)::int * 53) % 200 AS offer,
        's' || floor(50 * random() ^ 4)::int AS sub1,
        ({countries})[1 + (wm + floor(random() ^ 3 * 3)::int * 7) % 20] AS country,
        {lo} + floor(random() * ({hi} - {lo}))::int AS h, random() < 0.8 AS u, random() >= 0.06 AS v
    FROM (SELECT floor(2000 * random() ^ 6)::int AS wm FROM generate_series(1, $5::int)) w
) c
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 6
"""
_CONVERSIONS = """
INSERT INTO conversion (network, offer, advertiser, webmaster, goal, click_id, click_at, status, dedup_key,
    currency, payout, revenue, billable, country, sub1, sub2, sub3, sub4, sub5, created_at, updated_at)
SELECT $1::bigint, $2::bigint + offer, $3::bigint + offer % 20, $4::bigint + wm, goal, 'c' || n,
    at - interval '1 hour', status, 'o' || n,
    currency, payout, payout * 13 / 10, status <> 'rejected', country, sub1, 'a' || floor(random() * 5)::int,
    'b' || floor(random() * 3)::int, '', '', at, at
FROM (
    SELECT n, wm, (wm * 37 + floor(random() ^ 2 * 4)::int * 53) % 200 AS offer,
        's' || floor(50 * random() ^ 4)::int AS sub1,
        ({countries})[1 + (wm + floor(random() ^ 3 * 3)::int * 7) % 20] AS country,
        $5::timestamptz + random() * interval '{days} days' AS at,
        CASE WHEN s < 0.55 THEN 'approved' WHEN s < 0.75 THEN 'pending' WHEN s < 0.85 THEN 'hold'
            WHEN s < 0.97 THEN 'rejected' ELSE 'reversed' END AS status,
        CASE WHEN g < 0.7 THEN 'lead' WHEN g < 0.95 THEN 'sale' ELSE 'ftd' END AS goal,
        CASE WHEN random() < 0.03 THEN 'EUR' ELSE 'USD' END AS currency,
        100 + floor(random() * 4900)::bigint AS payout
    FROM (
        SELECT n, floor(2000 * random() ^ 6)::int AS wm, random() AS s, random() AS g
        FROM generate_series(1, $6::int) n
    ) r
) c
"""
PK = "PRIMARY KEY (network, hour, offer, webmaster, sub1, country)"


def log(message: str) -> None:
    print(message, flush=True)


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def migrate() -> None:
    env = {**os.environ, "CPANET_DATABASE_URL": URL}
    subprocess.run(
        [sys.executable, "-m", "network.cli", "db", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


async def seed_parties(conn: asyncpg.Connection, network_id: int) -> tuple[int, int, int]:
    """Advertisers, offers and webmasters; returns the id before the first of each."""
    await conn.execute(
        "INSERT INTO advertiser (network, name, status) SELECT $1, 'Advertiser ' || i, 'active' "
        "FROM generate_series(1, $2) i",
        network_id,
        ADVERTISERS,
    )
    first_adv = int(await conn.fetchval("SELECT min(id) FROM advertiser WHERE network = $1", network_id))
    await conn.execute(
        "INSERT INTO offer (network, advertiser, name, status) "
        "SELECT $1, $2 + i % $3, 'Offer ' || i, 'active' FROM generate_series(0, $4 - 1) i",
        network_id,
        first_adv,
        ADVERTISERS,
        OFFERS,
    )
    first_offer = int(await conn.fetchval("SELECT min(id) FROM offer WHERE network = $1", network_id))
    await conn.execute(
        "INSERT INTO webmaster (network, name, status, referral_code) "
        "SELECT $1, 'Webmaster ' || i, 'active', 'bench' || i FROM generate_series(0, $2 - 1) i",
        network_id,
        WEBMASTERS,
    )
    first_wm = int(await conn.fetchval("SELECT min(id) FROM webmaster WHERE network = $1", network_id))
    return first_adv, first_offer, first_wm


async def seed_rollups(network_id: int, first_offer: int, first_wm: int, clicks: int, start: datetime) -> int:
    """The rollup rows of ``clicks`` clicks, drawn in two halves of the month on two connections. The key is
    dropped while loading and rebuilt after: the table ends as migrated, only faster to fill."""
    conn = await asyncpg.connect(URL)
    try:
        await conn.execute("ALTER TABLE click_rollup_hourly DROP CONSTRAINT click_rollup_hourly_pkey")
    finally:
        await conn.close()
    hours = 24 * DAYS

    async def half(lo: int, hi: int, n: int) -> None:
        c = await asyncpg.connect(URL)
        try:
            await c.execute("SET work_mem = '256MB'")
            sql = _CLICKS.format(countries=COUNTRIES, lo=lo, hi=hi)
            await c.execute(sql, network_id, first_offer, first_wm, start, n)
        finally:
            await c.close()

    await asyncio.gather(half(0, hours // 2, clicks // 2), half(hours // 2, hours, clicks - clicks // 2))
    conn = await asyncpg.connect(URL)
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute(f"ALTER TABLE click_rollup_hourly ADD CONSTRAINT click_rollup_hourly_pkey {PK}")
        await conn.execute("VACUUM ANALYZE click_rollup_hourly")
        return int(await conn.fetchval("SELECT count(*) FROM click_rollup_hourly"))
    finally:
        await conn.close()


async def seed_conversions(
    conn: asyncpg.Connection, ids: tuple[int, int, int, int], n: int, start: datetime
) -> None:
    network_id, first_adv, first_offer, first_wm = ids
    sql = _CONVERSIONS.format(countries=COUNTRIES, days=DAYS)
    await conn.execute(sql, network_id, first_offer, first_adv, first_wm, start, n)
    await conn.execute("VACUUM ANALYZE conversion")


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    verdict = "meets" if p95 <= GOAL_MS else "MISSES"
    return (
        f"n={len(ordered):2} p50 {statistics.median(ordered):7.1f} p95 {p95:7.1f} max {ordered[-1]:7.1f} ms"
        f"  ({verdict} {GOAL_MS:.0f} ms at p95)"
    )


class Budget:
    """Keeps the run bounded: each report stops after ``per_report`` seconds of runs (at least one timed
    run), and reports not started by ``total`` seconds after the start are skipped."""

    def __init__(self, per_report: float, total: float) -> None:
        self.per_report = per_report
        self.deadline = time.monotonic() + total

    @property
    def spent(self) -> bool:
        return time.monotonic() > self.deadline


async def timed(runs: int, call: Callable[[], Awaitable[str]], budget: Budget) -> tuple[list[float], str]:
    started = time.monotonic()
    outcome = await call()  # warm-up: not counted
    times: list[float] = []
    while len(times) < runs and (not times or time.monotonic() - started < budget.per_report):
        t0 = time.perf_counter()
        outcome = await call()
        times.append((time.perf_counter() - t0) * 1000)
    return times, outcome


def reports(first_wm: int, first_offer: int, start: date, end: date) -> list[tuple[str, dict[str, Any]]]:
    period: dict[str, Any] = {"date_from": start, "date_to": end}
    return [
        ("day", {**period, "group_by": "day"}),
        ("offer", {**period, "group_by": "offer"}),
        ("webmaster,day", {**period, "group_by": "webmaster,day"}),
        ("sub1  webmaster_id=top webmaster", {**period, "group_by": "sub1", "webmaster_id": first_wm}),
        ("sub1  webmaster_id=#100", {**period, "group_by": "sub1", "webmaster_id": first_wm + 99}),
        ("country", {**period, "group_by": "country"}),
        ("goal  (conversions only: no clicks)", {**period, "group_by": "goal"}),
        (
            "webmaster,day  offer_id=top offer",
            {**period, "group_by": "webmaster,day", "offer_id": first_offer},
        ),
    ]


async def answer(principal: Principal, query: StatsQuery) -> StatsReport | None:
    try:
        return await service.report(principal, query)
    except ValidationError:
        return None


async def via_service(principal: Principal, query: StatsQuery) -> str:
    try:
        result = await service.report(principal, query)
    except ValidationError as exc:
        return f"422 ({exc.detail[:40]}...)"
    return f"{len(result.rows)} rows"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def via_http(
    base: str, key: str, cases: list[tuple[str, dict[str, Any]]], runs: int, budget: Budget
) -> list[tuple[str, list[float], str]]:
    out: list[tuple[str, list[float], str]] = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as c:

        async def one(params: dict[str, Any]) -> str:
            response = await c.get("/api/v1/stats", params={k: str(v) for k, v in params.items()})
            return f"{response.status_code}, {len(response.content) / 1024:.0f} KiB"

        for name, params in cases:
            if budget.spent:
                out.append((name, [], "skipped: out of time"))
                continue
            times, outcome = await timed(runs, functools.partial(one, params), budget)
            out.append((name, times, outcome))
    return out


def serve(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "CPANET_DATABASE_URL": URL,
        "CPANET_PORT": str(port),
        "CPANET_DATABASE_POOL_MAX": "4",
        "CPANET_CLICK_PRELOAD": "0",
        "CPANET_API_KEY_RATE_LIMIT": "1000000",
        "CPANET_SPOOL_DIR": str(workdir / "spool"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "network.cli", "serve"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


async def reused(conn: asyncpg.Connection) -> tuple[int, date, date, tuple[int, int, int]]:
    """The network, period and first ids of the data a ``--keep`` run left."""
    network_id = int(await conn.fetchval("SELECT id FROM network WHERE slug = 'stats-bench'"))
    first, last = await conn.fetchrow(
        "SELECT min(day), max(day) FROM click_rollup_daily WHERE network = $1", network_id
    )
    ids = [
        int(await conn.fetchval(f"SELECT min(id) FROM {t} WHERE network = $1", network_id))  # noqa: S608
        for t in ("advertiser", "offer", "webmaster")
    ]
    return network_id, first, last, (ids[0], ids[1], ids[2])


DAILY_TABLES = ("click_rollup_daily", "click_rollup_daily_offer", "click_rollup_daily_sub1")


async def vacuum_daily() -> None:
    conn = await asyncpg.connect(URL)
    try:
        for table in DAILY_TABLES:
            await conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        await conn.close()


async def build_daily(network_id: int) -> int:
    """The daily rollups from the hourly one, by the service function a time zone change runs; returns the
    rows of the one with webmaster."""
    rows = await rebuild_daily(network_id)
    await vacuum_daily()
    return rows


async def side(principal: Principal, query: StatsQuery, zone: ZoneInfo, which: str) -> str:
    """One side of the report alone: the service's own click or conversion query, as it runs it."""
    dims = service.parse_group_by(query.group_by)
    span = service.period(query.date_from, query.date_to, zone, datetime.now(UTC))
    scope = service._scope(principal, query)
    try:
        if which == "clicks":
            rollup = service._rollup_of(dims, scope)
            rows = await service._click_rows(dims, scope, span, postgres=True, rollup=rollup)
        else:
            parts = service.parts_for(dims, scope, postgres=True)
            rows = await service._conversion_rows(dims, scope, span, postgres=True, parts=parts)
    except ValidationError:
        return "422 (over the row cap)"
    return f"{len(rows)} rows"


def served_from(principal: Principal, query: StatsQuery) -> str:
    """The rollup the service reads a report's clicks from ("-": none)."""
    dims = service.parse_group_by(query.group_by)
    if not service.CLICK_DIMENSIONS.issuperset(dims):
        return "-"
    return service._rollup_of(dims, service._scope(principal, query))


async def hourly_vs_daily(principal: Principal, query: StatsQuery, daily: StatsReport | None) -> str:
    try:
        result = await service.report(principal, query, rollup="hourly")
    except ValidationError as exc:
        return f"422 ({exc.detail[:40]}...)"
    same = "same report as served" if result == daily else "DIFFERENT from the report served"
    return f"{len(result.rows)} rows, {same}"


async def main(args: argparse.Namespace) -> None:
    began = time.monotonic()
    log(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    log("load average at start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if not args.reuse:
        await admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin(f'CREATE DATABASE "{DATABASE}"')
    server: subprocess.Popen[bytes] | None = None
    engine = build_engine(DatabaseSettings(url=URL, pool_min=1, pool_max=4))
    try:
        t0 = time.perf_counter()
        migrate()  # with --reuse: the migrations added since the data was made (and their backfills)
        log(f"migrated in {time.perf_counter() - t0:.1f} s")
        bind_tables(engine)
        await start_engine(engine, DatabaseSettings(url=URL, pool_min=1, pool_max=4))
        zone = ZoneInfo(ZONE)
        conn = await asyncpg.connect(URL)
        try:
            if args.reuse:
                network_id, first_day, today, ids = await reused(conn)
                first_adv, first_offer, first_wm = ids
                tag = f"{time.time():.0f}"
                log(f"reusing the data of a --keep run: {first_day} .. {today}")
            else:
                network_id = await tenants.create_network(
                    slug="stats-bench", name="Stats bench", tracking_host="stats-bench.example", timezone=ZONE
                )
                today = datetime.now(zone).date()
                first_day = today - timedelta(days=DAYS - 1)
                tag = ""
            staff = await _first_admin(network_id, f"bench{tag}@example.com", "x")
            key = (await authn.create_api_key(staff, ApiKeyCreate(name="bench"), 1_000_000)).secret
            start = datetime.combine(first_day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
            if not args.reuse:
                t0 = time.perf_counter()
                first_adv, first_offer, first_wm = await seed_parties(conn, network_id)
                rows = await seed_rollups(network_id, first_offer, first_wm, args.clicks, start)
                log(
                    f"rollups: {args.clicks:,} clicks over {DAYS} days -> {rows:,} hourly rows "
                    f"({rows / (24 * DAYS):,.0f} per hour, {args.clicks / rows:.2f} clicks per row) "
                    f"in {time.perf_counter() - t0:.1f} s"
                )
                t0 = time.perf_counter()
                daily_rows = await build_daily(network_id)
                log(
                    f"daily rollups by storage.rebuild_daily in {time.perf_counter() - t0:.1f} s: "
                    f"{daily_rows:,} rows with webmaster ({daily_rows / DAYS:,.0f} per day)"
                )
                t0 = time.perf_counter()
                await seed_conversions(
                    conn, (network_id, first_adv, first_offer, first_wm), args.conversions, start
                )
                log(f"conversions: {args.conversions:,} in {time.perf_counter() - t0:.1f} s")
            if args.reuse:
                await vacuum_daily()
            for table in ("click_rollup_hourly", *DAILY_TABLES, "conversion"):
                n = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
                log(f"  {table}: {n:,} rows")
            cases = reports(first_wm, first_offer, first_day, today)
            log(f"\nservice.report(), staff, {first_day} .. {today} ({ZONE}), warm-up + {args.runs} runs:")
            budget = Budget(args.budget, args.deadline - (time.monotonic() - began))
            answers: dict[str, StatsReport | None] = {}
            for name, params in cases:
                query = StatsQuery(**params)
                times, outcome = await timed(args.runs, functools.partial(via_service, staff, query), budget)
                path = served_from(staff, query)
                log(f"  {name:36} {summary(times)}  -> {outcome} ({path})")
                answers[name] = await answer(staff, query)
            if not args.no_sides:
                for which in ("clicks", "conversions"):
                    log(f"\n{which} side alone (the service's own query), warm-up + {args.runs} runs:")
                    for name, params in cases:
                        query = StatsQuery(**params)
                        if which == "clicks" and "goal" in query.group_by:
                            continue
                        if budget.spent:
                            log(f"  {name:36} skipped: out of time")
                            continue
                        call = functools.partial(side, staff, query, zone, which)
                        times, outcome = await timed(args.runs, call, budget)
                        log(f"  {name:36} {summary(times)}  -> {outcome}")
            if not args.no_hourly:
                runs = args.hourly_runs
                log(f"\nthe same reports forced onto the hourly rollup, warm-up + {runs} runs:")
                for name, params in cases:
                    query = StatsQuery(**params)
                    if served_from(staff, query) in ("hourly", "-"):
                        continue
                    if budget.spent:
                        log(f"  {name:36} skipped: out of time")
                        continue
                    call = functools.partial(hourly_vs_daily, staff, query, answers[name])
                    times, outcome = await timed(runs, call, budget)
                    log(f"  {name:36} {summary(times)}  -> {outcome}")
            if not args.no_http:
                workdir = Path(tempfile.mkdtemp(prefix="stats-bench-"))
                server, base = serve(workdir)
                runs = args.http_runs
                log(f"\nGET /api/v1/stats via `cpanet serve` (httpx, loopback), warm-up + {runs} runs:")
                for name, times, outcome in await via_http(base, key, cases, args.http_runs, budget):
                    log(f"  {name:36} {summary(times) if times else ''}  -> {outcome}")
        finally:
            await conn.close()
        log("load average at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        await stop(engine)
        if not args.keep:
            await admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


async def run(args: argparse.Namespace) -> None:
    """main(), cancelled on SIGTERM so that its cleanup (stop the server, drop the database) still runs."""
    task = asyncio.create_task(main(args))
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--conversions", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--http-runs", type=int, default=3, help="timed runs through HTTP")
    parser.add_argument("--budget", type=float, default=15, help="seconds of timed runs per report at most")
    parser.add_argument("--deadline", type=float, default=240, help="start no report after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse", action="store_true", help="time the data a --keep run left (migrated first), no new data"
    )
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP timings")
    parser.add_argument("--hourly-runs", type=int, default=3, help="timed runs on the hourly rollup")
    parser.add_argument("--no-hourly", action="store_true", help="skip the hourly comparison")
    parser.add_argument("--no-sides", action="store_true", help="skip timing each side alone")
    asyncio.run(run(parser.parse_args()))
