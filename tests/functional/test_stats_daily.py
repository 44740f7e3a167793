"""The daily click rollups (with and without webmaster, and by sub1) against the hourly one, on both engines:
the stats report gives the same answer from each (day boundaries in non-UTC zones, DST days, a half-hour
zone, unique and invalid counts, date and id filters), redelivered batches count once, a time zone change
rebuilds the daily rows, the migrations' backfills leave the rows click storage writes, and a report over
the row cap is refused with the same problem whichever way it is found out. Clicks go through click
storage, reports through the service and tenants.update_network; no mocks."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
import pytest

from fastpath.reasons import FraudFlag
from network.db import all_tables, bind_tables, build_engine
from network.demo import _first_admin
from network.errors import ValidationError
from network.principal import Principal, Role
from network.settings import DatabaseSettings, Settings
from network.stats import service
from network.stats.service import MAX_ROWS, TOO_MANY, StatsQuery, rollup_for, uses_daily
from network.tenants import service as tenants
from network.tenants.schemas import NetworkUpdate
from network.tracking.clickid import new_click_id
from network.tracking.events import ClickEvent
from network.tracking.storage import day_of, hour_of, rebuild_daily, store
from network.tracking.tables import (
    ClickRollupDaily,
    ClickRollupDailyOffer,
    ClickRollupDailySub1,
    ClickRollupHourly,
)
from tests.conftest import ROOT
from tests.support.cli import cpanet
from tests.support.services import POSTGRES_ADMIN_URL, need, scratch_database_name, with_database

_tags = itertools.count(random.randrange(1 << 30))
DailyKey = tuple[int, int, str, date]  # offer (0: none), webmaster, country, day
Sub1Key = tuple[int, date, str]  # webmaster, day, sub1
Counts = tuple[int, int, int]  # clicks, unique, invalid
OFFERS, WEBMASTERS = (11, 12, None), (21, 22)
# (zone, a local day on which something happens)
ZONES = [
    ("Europe/Berlin", date(2025, 10, 26)),  # 25 hours: clocks back at 03:00
    ("Europe/Berlin", date(2025, 3, 30)),  # 23 hours
    ("Asia/Kolkata", date(2025, 6, 1)),  # +5:30: a day's clicks start at 00:30 local
    ("America/Santiago", date(2025, 4, 6)),  # clocks back at midnight: 23:00 of the 5th twice
    ("America/Havana", date(2025, 3, 9)),  # midnight does not exist: the day starts at 01:00
]


@pytest.fixture
async def bound(settings: Settings) -> AsyncIterator[None]:
    bind_tables(build_engine(settings.database))
    yield


async def _network(zone: str) -> int:
    tag = next(_tags)
    return await tenants.create_network(
        slug=f"daily-{tag}", name=f"Daily {tag}", tracking_host=f"daily-{tag}.example", timezone=zone
    )


def _event(network: int, ts: float, rng: random.Random) -> ClickEvent:
    valid = rng.random() > 0.2
    flags = 0 if valid else rng.choice([0, int(FraudFlag.BOT_UA), int(FraudFlag.DUPLICATE_CLICK)])
    offer = rng.choice(OFFERS)
    return ClickEvent(
        new_click_id(ts),
        network,
        ts,
        rng.choice(WEBMASTERS),
        offer,
        None,
        None,
        offer is None,
        "ok" if valid or flags else "bad_link",
        valid,
        flags,
        0 if valid else 90,
        f"10.0.0.{rng.randrange(4)}",
        "ua",
        "",
        rng.choice(["US", "DE"]),
        "desktop",
        "windows",
        rng.choice(["", "v1", "v2", "v3"]),  # few visitors: unique clicks are fewer than clicks
        "",
        "",
        (rng.choice(["", "a", "b"]),),
    )


def _clicks(network: int, zone: ZoneInfo, around: date, rng: random.Random) -> list[ClickEvent]:
    """Clicks from two hours before the local day before ``around`` to two hours after the day after it, a
    few per UTC hour, on the hour's first and last second too."""
    start = datetime.combine(around - timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(around + timedelta(days=2), time(), tzinfo=zone).astimezone(UTC)
    hour = start.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    events: list[ClickEvent] = []
    while hour < end + timedelta(hours=2):
        base = hour.timestamp()
        for offset in (0.0, 3599.5, *(rng.uniform(0, 3600) for _ in range(rng.randrange(4)))):
            events.append(_event(network, base + offset, rng))
        hour += timedelta(hours=1)
    rng.shuffle(events)
    return events


async def _store(events: list[ClickEvent], size: int = 40) -> None:
    for i in range(0, len(events), size):
        await store(events[i : i + size])


async def _daily(network: int) -> dict[DailyKey, Counts]:
    rows = await ClickRollupDaily.select().where(ClickRollupDaily.network == network)
    return {
        (r["offer"], r["webmaster"], r["country"], r["day"]): (
            r["clicks"],
            r["unique_clicks"],
            r["invalid_clicks"],
        )
        for r in rows
    }


async def _daily_offer(network: int) -> dict[DailyKey, Counts]:
    """The rollup without webmaster, keyed like the daily one with webmaster 0."""
    rows = await ClickRollupDailyOffer.select().where(ClickRollupDailyOffer.network == network)
    return {
        (r["offer"], 0, r["country"], r["day"]): (r["clicks"], r["unique_clicks"], r["invalid_clicks"])
        for r in rows
    }


async def _daily_sub1(network: int) -> dict[Sub1Key, Counts]:
    rows = await ClickRollupDailySub1.select().where(ClickRollupDailySub1.network == network)
    return {
        (r["webmaster"], r["day"], r["sub1"]): (r["clicks"], r["unique_clicks"], r["invalid_clicks"])
        for r in rows
    }


async def _sub1_from_hourly(network: int, zone: ZoneInfo) -> dict[Sub1Key, Counts]:
    """The definition of the rollup by sub1, in Python: each hourly row on the local date of its hour's
    start, summed per webmaster, day and sub1."""
    out: dict[Sub1Key, Counter[str]] = {}
    for r in await ClickRollupHourly.select().where(ClickRollupHourly.network == network):
        acc = out.setdefault((r["webmaster"], day_of(r["hour"], zone), r["sub1"]), Counter())
        acc.update(clicks=r["clicks"], unique=r["unique_clicks"], invalid=r["invalid_clicks"])
    return {k: (c["clicks"], c["unique"], c["invalid"]) for k, c in out.items()}


def _without_webmaster(daily: dict[DailyKey, Counts]) -> dict[DailyKey, Counts]:
    out: dict[DailyKey, Counts] = {}
    for (offer, _, country, day), counts in daily.items():
        before = out.get((offer, 0, country, day), (0, 0, 0))
        out[offer, 0, country, day] = (before[0] + counts[0], before[1] + counts[1], before[2] + counts[2])
    return out


async def _check_rollups(network: int, zone: ZoneInfo) -> dict[DailyKey, Counts]:
    """Both daily rollups as the hourly one summed by the definition; returns the daily rows."""
    daily = await _daily(network)
    assert daily == await _daily_from_hourly(network, zone)
    assert await _daily_offer(network) == _without_webmaster(daily)
    by_sub1 = await _daily_sub1(network)
    assert by_sub1 == await _sub1_from_hourly(network, zone)
    assert sum(c[0] for c in by_sub1.values()) == sum(c[0] for c in daily.values())
    return daily


async def _daily_from_hourly(network: int, zone: ZoneInfo) -> dict[DailyKey, Counts]:
    """The definition, in Python: each hourly row on the local date of its hour's start."""
    out: dict[DailyKey, Counter[str]] = {}
    for r in await ClickRollupHourly.select().where(ClickRollupHourly.network == network):
        key = (r["offer"], r["webmaster"], r["country"], day_of(r["hour"], zone))
        acc = out.setdefault(key, Counter())
        acc.update(clicks=r["clicks"], unique=r["unique_clicks"], invalid=r["invalid_clicks"])
    return {k: (c["clicks"], c["unique"], c["invalid"]) for k, c in out.items()}


GROUPINGS = [
    "",
    "day",
    "offer",
    "webmaster",
    "country",
    "day,offer",
    "day,webmaster,country",
    "offer,country",
]
# Served from the rollup by sub1 unless filtered by offer or country.
SUB1_GROUPINGS = ["sub1", "day,sub1", "webmaster,sub1", "sub1,day,webmaster"]


def _queries(around: date) -> Iterator[StatsQuery]:
    periods = [
        (around - timedelta(days=1), around + timedelta(days=1)),
        (around, around),
        (around + timedelta(days=1), around + timedelta(days=1)),
    ]
    filters: list[dict[str, Any]] = [{}, {"webmaster_id": 22, "country": "de"}, {"offer_id": 11}]
    filters.append({"webmaster_id": 22})
    for (first, last), extra, group_by in itertools.product(periods, filters, GROUPINGS + SUB1_GROUPINGS):
        yield StatsQuery(date_from=first, date_to=last, group_by=group_by, **extra)


async def _both_paths_agree(network: int, around: date) -> int:
    """Every query of ``_queries`` answered from both rollups, for staff and for a webmaster; returns the
    clicks the staff reports counted (so that a caller can tell the data was there)."""
    staff = Principal(network_id=network, user_id=1, role=Role.STAFF)
    webmaster = Principal(network_id=network, user_id=2, role=Role.WEBMASTER, webmaster_id=22)
    counted = 0
    for query in _queries(around):
        dims = service.parse_group_by(query.group_by)
        by_offer = query.offer_id is not None or query.country is not None
        served_from = rollup_for(
            dims, webmaster_id=query.webmaster_id, offer_id=query.offer_id, country=query.country
        )
        assert uses_daily(dims) or served_from == ("hourly" if by_offer else "daily_sub1"), query
        for principal in (staff, webmaster):
            served = await service.report(principal, query)
            for rollup in ("hourly", "daily"):
                assert served == await service.report(principal, query, rollup=rollup), (rollup, query)
            if principal is staff:
                counted += served.totals.clicks or 0
    return counted


def _expected_clicks(events: list[ClickEvent], zone: ZoneInfo, first: date, last: date) -> Counter[str]:
    kept = [e for e in events if first <= day_of(hour_of(e.ts), zone) <= last]
    return Counter(clicks=len(kept), invalid=sum(not e.valid for e in kept))


@pytest.mark.parametrize(("zone_name", "around"), ZONES)
async def test_daily_and_hourly_reports_are_the_same(bound: None, zone_name: str, around: date) -> None:
    zone = ZoneInfo(zone_name)
    network = await _network(zone_name)
    rng = random.Random(f"{zone_name}{around}")
    events = _clicks(network, zone, around, rng)
    await _store(events)
    await _check_rollups(network, zone)
    assert await _both_paths_agree(network, around) > 0
    # And both are right: the clicks whose hour starts on the day, invalid ones, and fewer unique than clicks.
    staff = Principal(network_id=network, user_id=1, role=Role.STAFF)
    one_day = await service.report(staff, StatsQuery(date_from=around, date_to=around, group_by=""))
    expected = _expected_clicks(events, zone, around, around)
    assert (one_day.totals.clicks, one_day.totals.invalid_clicks) == (expected["clicks"], expected["invalid"])
    assert 0 < (one_day.totals.unique_clicks or 0) < expected["clicks"]
    days = await service.report(
        staff, StatsQuery(date_from=around - timedelta(days=1), date_to=around + timedelta(days=1))
    )
    assert [r.day for r in days.rows] == [around + timedelta(days=i) for i in (-1, 0, 1)]
    for row in days.rows:
        assert isinstance(row.day, date)
        assert row.clicks == _expected_clicks(events, zone, row.day, row.day)["clicks"]


async def test_redelivered_batches_count_once_in_the_daily_rollup(bound: None) -> None:
    zone = ZoneInfo("Asia/Kolkata")
    network = await _network("Asia/Kolkata")
    around = date(2025, 6, 1)
    events = _clicks(network, zone, around, random.Random(7))
    half = len(events) // 2
    await _store(events[:half])
    await _store(events[:half])  # the same batches again
    # Overlapping the stored ones, with a click twice in the batch:
    await _store(events[half - 30 :] + events[half : half + 5], size=len(events))
    daily = await _check_rollups(network, zone)
    assert sum(c[0] for c in daily.values()) == len(events)
    assert sum(c[2] for c in daily.values()) == sum(not e.valid for e in events)
    await _both_paths_agree(network, around)


async def test_a_time_zone_change_rebuilds_the_daily_rows(bound: None) -> None:
    """Through tenants.update_network: the service behind PATCH /api/v1/network and the settings page."""
    berlin, kolkata = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Kolkata")
    around = date(2025, 10, 26)
    network = await _network("Europe/Berlin")
    admin = await _first_admin(network, f"admin-{next(_tags)}@example.com", "not-a-real-hash")
    events = _clicks(network, berlin, around, random.Random(3))
    await _store(events)
    await _check_rollups(network, berlin)
    assert (await tenants.update_network(admin, NetworkUpdate(timezone="Asia/Kolkata"))).timezone == (
        "Asia/Kolkata"
    )
    rebuilt = await _check_rollups(network, kolkata)
    assert rebuilt != await _daily_from_hourly(network, berlin)
    # Clicks stored after the change land on the new zone's days; both report paths still agree.
    more = _clicks(network, kolkata, around, random.Random(4))
    await _store(more)
    await _check_rollups(network, kolkata)
    await _both_paths_agree(network, around)
    staff = Principal(network_id=network, user_id=1, role=Role.STAFF)
    one_day = await service.report(staff, StatsQuery(date_from=around, date_to=around, group_by=""))
    assert one_day.totals.clicks == _expected_clicks(events + more, kolkata, around, around)["clicks"]
    # Another change of something else leaves the rows; the rebuild is idempotent; no clicks, no rows.
    before = await _daily(network), await _daily_offer(network), await _daily_sub1(network)
    await tenants.update_network(admin, NetworkUpdate(name="Renamed"))
    assert await rebuild_daily(network) == len(before[0])
    assert (await _daily(network), await _daily_offer(network), await _daily_sub1(network)) == before
    assert await rebuild_daily(await _network("UTC")) == 0


async def _refused(principal: Principal, query: StatsQuery, rollup: str = "auto") -> None:
    with pytest.raises(ValidationError) as refused:
        await service.report(principal, query, rollup=rollup)
    assert (refused.value.detail, refused.value.extra) == (TOO_MANY, {"max_rows": MAX_ROWS}), query


async def test_a_report_over_the_row_cap_is_refused_alike(bound: None) -> None:
    """MAX_ROWS + 1 webmasters with a click on one day, MAX_ROWS of them on the next: a report with a row
    per webmaster is refused for the first day however the service finds out (a count of the daily keys
    first for the network-wide reports, the click query's rows for filtered ones and on the hourly rollup,
    inside a caller's transaction too), and served for the second, the same from every rollup."""
    network = await _network("UTC")
    first, second = date(2025, 2, 1), date(2025, 2, 2)
    rng = random.Random(11)
    events = []
    for day, count in ((first, MAX_ROWS + 1), (second, MAX_ROWS)):
        noon = datetime.combine(day, time(12), tzinfo=UTC).timestamp()
        for i in range(count):
            event = msgspec.structs.replace(
                _event(network, noon + i / 1000, rng), webmaster_id=1000 + i, offer_id=11, country="US"
            )
            events.append(msgspec.structs.replace(event, is_trafficback=False))
    await _store(events, size=2000)
    staff = Principal(network_id=network, user_id=1, role=Role.STAFF)
    day_one: dict[str, Any] = {"date_from": first, "date_to": first}
    cases: list[dict[str, Any]] = [
        {"group_by": "webmaster"},  # the daily rollup, counted first
        {"group_by": "webmaster,day"},
        {"group_by": "webmaster,sub1"},  # the rollup by sub1, counted first
        {"group_by": "offer,webmaster,country"},
        {"group_by": "webmaster", "country": "us"},  # filtered: the click query's rows
        {"group_by": "webmaster,offer", "offer_id": 11},
        {"group_by": "webmaster,sub1", "offer_id": 11},  # the hourly rollup
    ]
    for params in cases:
        query = StatsQuery(**day_one, **params)
        await _refused(staff, query)
        await _refused(staff, query, rollup="hourly")
    async with ClickRollupHourly._meta.db.transaction():  # one connection: the sides one after the other
        await _refused(staff, StatsQuery(**day_one, group_by="webmaster"))
    for group_by in ("webmaster", "webmaster,sub1", "webmaster,day,country"):
        query = StatsQuery(date_from=second, date_to=second, group_by=group_by)
        served = await service.report(staff, query)
        assert len(served.rows) == MAX_ROWS and served.totals.clicks == MAX_ROWS
        assert served == await service.report(staff, query, rollup="hourly")
    # Both days, by day only: two rows.
    both = await service.report(staff, StatsQuery(date_from=first, date_to=second, group_by="day"))
    assert [r.clicks for r in both.rows] == [MAX_ROWS + 1, MAX_ROWS]


TABLE_MIGRATION = "2026-12-02T17:54:06:473018"


def _piccolo(url: str, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", *args],
        cwd=ROOT,
        env={**os.environ, "PICCOLO_CONF": "network.piccolo_conf", "CPANET_DATABASE_URL": url},
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def _rows_then_backfill(url: str) -> None:
    """Clicks stored by storage in three zones and for a network id without a row; then the daily tables
    dropped and migrated again (as on a database that had only the hourly rollup): the backfills leave the
    rows storage had written."""
    bind_tables(build_engine(DatabaseSettings(url=url, pool_min=0, pool_max=0)))
    written: dict[int, tuple[dict[DailyKey, Counts], dict[DailyKey, Counts], dict[Sub1Key, Counts]]] = {}
    for zone_name, around in ZONES[:3]:
        network = await _network(zone_name)
        await _store(_clicks(network, ZoneInfo(zone_name), around, random.Random(zone_name)))
        written[network] = await _daily(network), await _daily_offer(network), await _daily_sub1(network)
        assert all(written[network])
    unknown = 1 << 45  # clicks of a network id without a network row count on UTC days
    await _store(_clicks(unknown, ZoneInfo("UTC"), date(2025, 1, 1), random.Random(1)))
    written[unknown] = await _daily(unknown), await _daily_offer(unknown), await _daily_sub1(unknown)
    await asyncio.to_thread(
        _piccolo, url, "backwards", "tracking", f"--migration_id={TABLE_MIGRATION}", "--auto_agree"
    )
    await asyncio.to_thread(_piccolo, url, "forwards", "tracking")
    for network, rows in written.items():
        assert (await _daily(network), await _daily_offer(network), await _daily_sub1(network)) == rows


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_migration_backfills_the_daily_rollup(engine: str, tmp_path: Path) -> None:
    bound = {table: table._meta._db for table in all_tables()}  # None when no test bound them yet
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'backfill.sqlite3'}"
    else:
        need("PostgreSQL", POSTGRES_ADMIN_URL, 5432)
        name = scratch_database_name()
        url = with_database(POSTGRES_ADMIN_URL, name)
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        result = cpanet(url, "db", "migrate")
        assert result.returncode == 0, result.stderr
        asyncio.run(_rows_then_backfill(url))
    finally:
        for table, previous in bound.items():
            table._meta._db = previous
        if engine == "postgresql":
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
