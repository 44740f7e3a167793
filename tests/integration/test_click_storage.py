"""Click storage on both engines: idempotent batches, hourly rollups in the same transaction, unique clicks,
invalid clicks by reason; on PostgreSQL, daily partitions and the conversion of an existing table."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from fastpath.reasons import FraudFlag
from network.db import all_tables, bind_tables, build_engine
from network.settings import DatabaseSettings, Settings
from network.tracking import partitions
from network.tracking.clickid import new_click_id
from network.tracking.events import ClickEvent
from network.tracking.storage import hour_of, store, visitor_key
from network.tracking.tables import Click, ClickRollupDaily, ClickRollupHourly, ClickRollupInvalidHourly
from network.transaction import atomic
from tests.conftest import ROOT
from tests.support.cli import cpanet
from tests.support.services import POSTGRES_ADMIN_URL, need, scratch_database_name, with_database

_NETWORKS = itertools.count(random.randrange(1 << 40, 1 << 50))
Key = tuple[int, int, str, str, datetime]  # offer (0: none), webmaster, sub1, country, hour


@pytest.fixture
async def network(settings: Settings) -> AsyncIterator[int]:
    """A network id of its own (clicks have no foreign keys), with the tables bound to the test database."""
    bind_tables(build_engine(settings.database))
    yield next(_NETWORKS)


def click(
    network: int,
    ts: float,
    *,
    offer: int | None = 11,
    webmaster: int = 21,
    sub1: str = "",
    country: str = "US",
    visitor: str = "v1",
    ua: str = "ua-1",
    ip: str = "10.0.0.1",
    valid: bool = True,
    flags: int = 0,
    reason: str = "ok",
) -> ClickEvent:
    return ClickEvent(
        new_click_id(ts),
        network,
        ts,
        webmaster,
        offer,
        None,
        None,
        offer is None,
        reason,
        valid,
        flags,
        0 if valid else 90,
        ip,
        ua,
        "",
        country,
        "desktop",
        "windows",
        visitor,
        "",
        "",
        (sub1,),
    )


def _this_hour() -> float:
    now = time.time()
    return now - now % 3600


async def _rollups(network: int) -> dict[Key, tuple[int, int, int]]:
    rows = await ClickRollupHourly.select().where(ClickRollupHourly.network == network)
    return {
        (r["offer"], r["webmaster"], r["sub1"], r["country"], r["hour"]): (
            r["clicks"],
            r["unique_clicks"],
            r["invalid_clicks"],
        )
        for r in rows
    }


async def _invalid(network: int) -> dict[tuple[Key, str], int]:
    rows = await ClickRollupInvalidHourly.select().where(ClickRollupInvalidHourly.network == network)
    return {
        ((r["offer"], r["webmaster"], r["sub1"], r["country"], r["hour"]), r["reason"]): r["clicks"]
        for r in rows
    }


def _key(offer: int | None, webmaster: int, sub1: str, country: str, ts: float) -> Key:
    return (offer or 0, webmaster, sub1, country, hour_of(ts))


def _expected_uniques(batches: Iterable[list[ClickEvent]]) -> Counter[Key]:
    """The definition, in Python: the first stored click of a visitor per offer, webmaster and hour (first by
    time within a batch) counts as unique, in the rollup row of that click."""
    seen_clicks: set[str] = set()
    seen_visitors: set[tuple[int, int, datetime, str]] = set()
    uniques: Counter[Key] = Counter()
    for batch in batches:
        new = {e.click_id: e for e in batch if e.click_id not in seen_clicks}
        seen_clicks |= new.keys()
        for e in sorted(new.values(), key=lambda e: (e.ts, e.click_id)):
            visitor = (
                e.offer_id or 0,
                e.webmaster_id,
                hour_of(e.ts),
                visitor_key(e.visitor_id, e.ip, e.user_agent),
            )
            if visitor not in seen_visitors:
                seen_visitors.add(visitor)
                uniques[_key(e.offer_id, e.webmaster_id, e.subs[0], e.country, e.ts)] += 1
    return uniques


def _reasons(flags: int, reason: str) -> list[str]:
    names = [f.name.lower() for f in FraudFlag if f.name and f and flags & f]
    return names or [reason]


async def test_a_batch_stored_twice_is_stored_once_and_counted_once(network: int) -> None:
    base = _this_hour() + 5
    batch = [click(network, base + i, visitor=f"v{i % 7}", sub1=f"s{i % 3}") for i in range(60)]
    assert await store(batch) == 60
    first = await _rollups(network)
    assert await store(batch) == 0
    # A redelivery overlapping a new batch, with a click id twice in it: only the new clicks count, once.
    more = [click(network, base + 100 + i, visitor=f"w{i}") for i in range(20)]
    assert await store(batch[30:] + more + more[:3]) == 20
    assert await Click.count().where(Click.network == network) == 80
    stored = await Click.select(Click.click_id).where(Click.network == network)
    assert sorted(r["click_id"] for r in stored) == sorted(e.click_id for e in batch + more)
    after = await _rollups(network)
    assert sum(v[0] for v in after.values()) == 80
    assert sum(v[0] for v in first.values()) == 60
    # The daily rollup too (a network id without a row: UTC days), unique and invalid counts included.
    daily = await ClickRollupDaily.select().where(ClickRollupDaily.network == network)
    assert [sum(r[m] for r in daily) for m in ("clicks", "unique_clicks", "invalid_clicks")] == [
        sum(v[i] for v in after.values()) for i in range(3)
    ]
    assert {k: after[k] for k in first} == first


async def test_stores_inside_a_callers_transaction(network: int) -> None:
    base = _this_hour() + 1
    a = [click(network, base + i, visitor=f"a{i}") for i in range(5)]
    b = [click(network, base + 10 + i, visitor=f"b{i}") for i in range(7)]
    async with atomic():
        assert await store(a) == 5
        assert await store(b + a) == 7  # the first batch's staging rows are not stored again
    assert await Click.count().where(Click.network == network) == 12
    assert sum(v[0] for v in (await _rollups(network)).values()) == 12


async def test_unique_clicks_are_first_visits_per_offer_webmaster_and_hour(network: int) -> None:
    h = _this_hour() - 3600
    batch = [
        # v1 thrice in an hour, under two sub1s: one unique, in the row of its earliest click (listed last)
        click(network, h + 300, visitor="v1", sub1="b"),
        click(network, h + 200, visitor="v1", sub1="b"),
        click(network, h + 100, visitor="v1", sub1="a"),
        # v1 again in the next hour, and on another offer and for another webmaster: unique each time.
        click(network, h + 3700, visitor="v1", sub1="a"),
        click(network, h + 400, visitor="v1", sub1="a", offer=12),
        click(network, h + 500, visitor="v1", sub1="a", webmaster=22),
        # No cookie: the visitor is IP + user agent.
        click(network, h + 600, visitor="", ip="10.0.0.9", ua="ua-x", sub1="a"),
        click(network, h + 700, visitor="", ip="10.0.0.9", ua="ua-x", sub1="a"),
        click(network, h + 800, visitor="", ip="10.0.0.9", ua="ua-y", sub1="a"),
    ]
    assert await store(batch) == 9
    # A later batch: v1 in the same hour is not unique any more; v2 is.
    later = [click(network, h + 900, visitor="v1", sub1="a"), click(network, h + 950, visitor="v2", sub1="b")]
    assert await store(later) == 2
    rollups = await _rollups(network)
    hour, next_hour = hour_of(h), hour_of(h + 3600)
    assert rollups[(11, 21, "a", "US", hour)] == (5, 3, 0)  # v1, and the two IP + user agent visitors
    assert rollups[(11, 21, "b", "US", hour)] == (3, 1, 0)  # v1's later clicks, and v2
    assert rollups[(11, 21, "a", "US", next_hour)] == (1, 1, 0)
    assert rollups[(12, 21, "a", "US", hour)] == (1, 1, 0)
    assert rollups[(11, 22, "a", "US", hour)] == (1, 1, 0)
    assert len(rollups) == 5


async def test_invalid_clicks_are_counted_by_reason(network: int) -> None:
    h = _this_hour() + 60
    bot_dc = int(FraudFlag.BOT_UA | FraudFlag.DATACENTER_IP)
    batch = [
        click(network, h, valid=False, flags=bot_dc),
        click(network, h + 1, valid=False, flags=int(FraudFlag.DUPLICATE_CLICK), visitor="v2"),
        click(network, h + 2, valid=False, flags=int(FraudFlag.BOT_UA), visitor="v3"),
        click(network, h + 3, offer=None, valid=False, reason="bad_link"),
        click(network, h + 4, reason="cap_reached"),  # trafficback, but valid
        click(network, h + 5),
    ]
    assert await store(batch) == 6
    assert await store(batch) == 0
    key = (11, 21, "", "US", hour_of(h))
    no_offer = (0, 21, "", "US", hour_of(h))
    assert (await _rollups(network))[key] == (5, 3, 3)
    assert (await _rollups(network))[no_offer] == (1, 1, 1)
    assert await _invalid(network) == {
        (key, "bot_ua"): 2,
        (key, "datacenter_ip"): 1,
        (key, "duplicate_click"): 1,
        (no_offer, "bad_link"): 1,
    }


CLICKS = st.tuples(
    st.sampled_from([None, 11, 12]),
    st.sampled_from([21, 22]),
    st.sampled_from(["", "a", "b"]),
    st.sampled_from(["US", "DE"]),
    st.integers(0, 3 * 3600 - 1),  # seconds after the first hour
    st.sampled_from(["", "v1", "v2", "v3"]),
    st.sampled_from(["ua-1", "ua-2"]),
    st.sampled_from([(True, 0, "ok"), (True, 0, "cap_reached"), (False, 1, "ok"), (False, 260, "ok")]),
)


@given(
    specs=st.lists(CLICKS, min_size=1, max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=3),
    redeliver=st.integers(0, 3),
)
@hypothesis_settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_rollups_equal_a_group_by_over_the_stored_clicks(
    network: int, specs: list[Any], cuts: list[int], redeliver: int
) -> None:
    net = next(_NETWORKS)  # one network per example: the fixture runs once for all of them
    h = _this_hour() - 2 * 3600
    events = [
        click(
            net,
            h + s,
            offer=o,
            webmaster=w,
            sub1=s1,
            country=c,
            visitor=v,
            ua=ua,
            valid=ok,
            flags=f,
            reason=r,
        )
        for o, w, s1, c, s, v, ua, (ok, f, r) in specs
    ]
    bounds = sorted({0, len(events), *(min(c, len(events)) for c in cuts)})
    batches = [events[a:b] for a, b in itertools.pairwise(bounds)]
    batches.append(batches[redeliver % len(batches)])  # a redelivered batch
    for batch in batches:
        await store(batch)
    stored = await Click.select().where(Click.network == net)
    assert sorted(r["click_id"] for r in stored) == sorted(e.click_id for e in events)
    totals: Counter[Key] = Counter()
    invalid: Counter[Key] = Counter()
    reasons: Counter[tuple[Key, str]] = Counter()
    visitors: defaultdict[tuple[int, int, datetime], set[str]] = defaultdict(set)
    for r in stored:
        key = _key(r["offer"], r["webmaster"], r["sub1"], r["country"], r["created_at"].timestamp())
        totals[key] += 1
        visitors[key[0], key[1], key[4]].add(visitor_key(r["visitor_id"], r["ip"], r["user_agent"]))
        if not r["valid"]:
            invalid[key] += 1
            for reason in _reasons(r["fraud_flags"], r["reason"]):
                reasons[key, reason] += 1
    uniques = _expected_uniques(batches)
    rollups = await _rollups(net)
    assert rollups == {k: (n, uniques[k], invalid[k]) for k, n in totals.items()}
    assert await _invalid(net) == dict(reasons)
    # Summed over sub1 and country, unique clicks are the distinct visitors of an offer, webmaster and hour.
    summed: Counter[tuple[int, int, datetime]] = Counter()
    for (offer, webmaster, _, _, hour), (_, unique, _) in rollups.items():
        summed[offer, webmaster, hour] += unique
    assert summed == Counter({k: len(v) for k, v in visitors.items()})


# --- PostgreSQL only ----------------------------------------------------------------------------------------


async def _partition_of(database_url: str, click_id: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT tableoid::regclass::text AS p FROM click WHERE click_id = $1", click_id
        )
        return [r["p"] for r in rows]
    finally:
        await conn.close()


@pytest.mark.services
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_click_tables_are_partitioned_by_day(network: int, database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT c.relname, p.partstrat::text "
            "FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
        )
        assert {r["relname"]: r["partstrat"] for r in rows} == {"click": "r", "click_unique_hourly": "r"}
        days = await partitions.partitioned_days(conn)
        today = partitions.today()
        assert partitions.window(today) <= days
        defaults = await conn.fetch(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'"
        )
        assert {r["relname"] for r in defaults} == {"click_default", "click_unique_hourly_default"}
        tables = ["click", "click_unique_hourly", "click_rollup_hourly", "click_rollup_invalid_hourly"]
        keys = await conn.fetch(
            "SELECT conrelid::regclass::text AS t, pg_get_constraintdef(oid) AS d FROM pg_constraint "
            "WHERE contype = 'p' AND conrelid::regclass::text = ANY($1)",
            tables,
        )
        key = "PRIMARY KEY (network, hour, offer, webmaster"
        assert {r["t"]: r["d"] for r in keys} == {
            "click": "PRIMARY KEY (click_id, created_at)",
            "click_unique_hourly": f"{key}, visitor)",
            "click_rollup_hourly": f"{key}, sub1, country)",
            "click_rollup_invalid_hourly": f"{key}, sub1, country, reason)",
        }
        bytewise = await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'click'::regclass "
            "AND attcollation = (SELECT oid FROM pg_collation WHERE collname = 'C')"
        )
        assert {"click_id", "visitor_id"} <= {r["attname"] for r in bytewise}
        indexes = await conn.fetch("SELECT indexdef FROM pg_indexes WHERE tablename = 'click'")
        defs = {r["indexdef"].split(" USING ")[1] for r in indexes}
        assert {"btree (network, created_at)", "btree (network, visitor_id)"} <= defs
    finally:
        await conn.close()
    # A click of today is stored in today's partition and found by click_id.
    event = click(network, time.time())
    assert await store([event]) == 1
    assert await _partition_of(database_url, event.click_id) == [partitions.partition_name("click", today)]


def _noon(day: date) -> float:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()


@pytest.mark.services
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_clicks_of_days_without_a_partition(network: int, database_url: str) -> None:
    today = partitions.today()
    late_day = today - timedelta(days=20)  # a replayed journal: within the late window, no partition yet
    ancient_day = today - timedelta(days=400)  # outside it: the default partition
    future_day = today + timedelta(days=60)  # a wrong clock
    conn = await asyncpg.connect(database_url)
    try:
        assert late_day not in await partitions.partitioned_days(conn)
        late, ancient, future = (click(network, _noon(d)) for d in (late_day, ancient_day, future_day))
        assert await store([late, ancient, future]) == 3
        assert late_day in await partitions.partitioned_days(conn)
        assert await _partition_of(database_url, late.click_id) == [
            partitions.partition_name("click", late_day)
        ]
        assert await _partition_of(database_url, ancient.click_id) == ["click_default"]
        assert await _partition_of(database_url, future.click_id) == ["click_default"]
        # The future day's partition is created later: its click moves out of the default partition.
        async with conn.transaction():
            assert await partitions.ensure_days(conn, [future_day]) == {future_day}
        assert await _partition_of(database_url, future.click_id) == [
            partitions.partition_name("click", future_day)
        ]
        moved = await conn.fetch(
            "SELECT tableoid::regclass::text AS p FROM click_unique_hourly WHERE network = $1 AND hour = $2",
            network,
            hour_of(future.ts),
        )
        assert [r["p"] for r in moved] == [partitions.partition_name("click_unique_hourly", future_day)]
    finally:
        await conn.close()
    # Redelivered after the move: still stored once, still counted once.
    assert await store([late, ancient, future]) == 0
    assert sum(v[0] for v in (await _rollups(network)).values()) == 3


FIRST_TRACKING_MIGRATION = "--migration_id=2026-11-23T02:21:59:723613"


@pytest.mark.services
def test_the_migration_converts_an_existing_click_table() -> None:
    need("PostgreSQL", POSTGRES_ADMIN_URL, 5432)
    bound = {table: table._meta.db for table in all_tables()}
    name = scratch_database_name()
    url = with_database(POSTGRES_ADMIN_URL, name)
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        # The click table as it was before this change: plain, unique on click_id.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "piccolo.main",
                "migrations",
                "forwards",
                "tracking",
                FIRST_TRACKING_MIGRATION,
            ],
            cwd=ROOT,
            env={**os.environ, "PICCOLO_CONF": "network.piccolo_conf", "CPANET_DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        today = partitions.today()
        days = [today, today - timedelta(days=1), today - timedelta(days=100)]
        old = [(new_click_id(_noon(d) + i), _noon(d) + i) for d in days for i in range(50)]
        asyncio.run(_insert_old(url, old))
        result = cpanet(url, "db", "migrate")
        assert result.returncode == 0, result.stderr
        asyncio.run(_check_converted(url, old, days))
    finally:
        for table, engine in bound.items():
            table._meta.db = engine
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _insert_old(url: str, old: list[tuple[str, float]]) -> None:
    conn = await asyncpg.connect(url)
    try:
        assert not await conn.fetch("SELECT 1 FROM pg_partitioned_table")
        await conn.executemany(
            "INSERT INTO click (click_id, network, webmaster, created_at, visitor_id) "
            "VALUES ($1, 7, 8, $2, 'v')",
            [(cid, datetime.fromtimestamp(ts, UTC)) for cid, ts in old],
        )
    finally:
        await conn.close()


async def _check_converted(url: str, old: list[tuple[str, float]], days: list[date]) -> None:
    conn = await asyncpg.connect(url)
    try:
        assert [
            r["relname"]
            for r in await conn.fetch("SELECT relname FROM pg_class WHERE relname LIKE '%unpart%'")
        ] == []
        rows = await conn.fetch("SELECT click_id, created_at, tableoid::regclass::text AS p, id FROM click")
        assert sorted((r["click_id"], r["created_at"].timestamp()) for r in rows) == sorted(old)
        by_day = Counter(r["p"] for r in rows)
        assert by_day == Counter({partitions.partition_name("click", d): 50 for d in days})
        max_id = max(r["id"] for r in rows)
    finally:
        await conn.close()
    # The sequence survived the swap: a new click gets the next id, and an old click id is still a conflict.
    bind_tables(build_engine(DatabaseSettings(url=url, pool_min=0, pool_max=0)))
    fresh = click(7, time.time())
    redelivered = msgspec.structs.replace(click(7, old[0][1]), click_id=old[0][0])
    assert await store([fresh, redelivered]) == 1
    new_id = await Click.select(Click.id).where(Click.click_id == fresh.click_id).first()
    assert new_id is not None and new_id["id"] > max_id
