"""The stats report: clicks from the rollups the click pipeline maintains, conversions from real postbacks,
money, ratios, grouping, role scoping, CSV, dates and bad input. No mocks."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from network.accounts import authn
from network.accounts import service as accounts
from network.accounts.schemas import ApiKeyCreate, UserCreate
from network.conversions.tables import Conversion
from network.demo import _principal_for
from network.principal import Principal, Role
from network.stats import service
from network.stats.service import MAX_ROWS, TOO_MANY, StatsQuery, period
from network.tracking.clickid import new_click_id
from network.tracking.endpoint import VISITOR_COOKIE
from network.tracking.events import ClickEvent
from network.tracking.storage import store
from tests.support.client import Client
from tests.support.conversions import CHROME, credential, fund, postback
from tests.support.world import World

_ips = itertools.count(1)


def _ip() -> str:
    n = next(_ips)
    return f"82.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


async def _visit(
    client: Client,
    world: World,
    *,
    ip: str | None = None,
    visitor: str = "",
    country: str = "US",
    **subs: str,
) -> tuple[str, str]:
    """A real click through the tracking link from ``ip`` (a new one by default), stored by the pipeline;
    ``visitor`` is the visitor cookie to send back (none: a new visitor). Returns the click id and the
    visitor cookie the click got."""
    links = (
        await client.post(
            f"/api/v1/offers/{world.offers['public']}/links", json=subs, headers=world.auth("webmaster")
        )
    ).json()
    await client.app.state.click_registry.refresh()
    parts = urlsplit(links["cpanet"]["url"])
    client.cookies.clear()
    headers = {
        "host": parts.netloc,
        "user-agent": CHROME,
        "x-country": country,
        "x-forwarded-for": ip or _ip(),
    }
    if visitor:
        headers["cookie"] = f"{VISITOR_COOKIE}={visitor}"
    response = await client.get(parts.path + "?" + parts.query, headers=headers, follow_redirects=False)
    assert response.status_code == 302, response.text
    await client.app.state.click_forwarder.drain()
    cookie = response.headers["set-cookie"].split(";")[0].partition("=")[2]
    return response.headers["x-click-id"], cookie


async def _click(client: Client, world: World, **kwargs: Any) -> str:
    return (await _visit(client, world, **kwargs))[0]


async def _stored_click(world: World, webmaster_id: int, at: datetime, sub1: str = "") -> str:
    """A click stored by the storage code directly, for a moment or a webmaster the endpoint cannot give."""
    event = _click_event(world, webmaster_id, at.timestamp(), sub1)
    assert await store([event]) == 1
    return event.click_id


def _click_event(world: World, webmaster_id: int, ts: float, sub1: str = "") -> ClickEvent:
    click_id = new_click_id(ts)
    return ClickEvent(
        click_id=click_id,
        network_id=world.network_id,
        ts=ts,
        webmaster_id=webmaster_id,
        offer_id=world.offers["public"],
        landing_id=world.landing_id,
        terms_version_id=world.terms["current"],
        is_trafficback=False,
        reason="ok",
        valid=True,
        fraud_flags=0,
        fraud_score=0,
        ip=_ip(),
        user_agent=CHROME,
        referrer="",
        country="US",
        device="mobile",
        os="ios",
        visitor_id="",
        source="",
        creative_id="",
        subs=(sub1,),
    )


async def _stats(client: Client, world: World, role: str = "staff", **params: Any) -> Any:
    response = await client.get("/api/v1/stats", params=params, headers=world.auth(role))
    assert response.status_code == 200, response.text
    return response.json()


async def _transition(client: Client, world: World, conversion_id: int, *steps: str) -> None:
    for to in steps:
        response = await client.post(
            f"/api/v1/conversions/{conversion_id}/status",
            json={"to": to, "reason": "manual", "comment": "stats test"},
            headers=world.auth("staff"),
        )
        assert response.status_code == 200, response.text


async def _convert(client: Client, token: str, click_id: str, **params: Any) -> int:
    body = (await postback(client, token, click_id=click_id, order_id=f"o-{click_id}", **params)).json()
    assert body["decision"] == "accepted", body
    conversion_id: int = body["conversion_id"]
    return conversion_id


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


async def _five_statuses(client: Client, world: World) -> None:
    """Five clicks (sub1 a, a, b, b, c; the last from DE) with one conversion each, one of every status, and
    the first click's visitor clicking again from the same IP and browser: a duplicate, so invalid and not
    unique."""
    await fund(world, "1000.00")
    token = (await credential(client, world))["token"]
    first_ip = _ip()
    first, visitor = await _visit(client, world, ip=first_ip, sub1="a")
    clicks = [
        first,
        await _click(client, world, sub1="a"),
        await _click(client, world, sub1="b"),
        await _click(client, world, sub1="b"),
        await _click(client, world, sub1="c", country="DE"),
    ]
    await _click(client, world, ip=first_ip, visitor=visitor, sub1="a")
    ids = [await _convert(client, token, c) for c in clicks]
    # Every postback is approved by the world's terms; staff moves them on from there.
    await _transition(client, world, ids[1], "hold")
    await _transition(client, world, ids[2], "hold", "pending")
    await _transition(client, world, ids[3], "hold", "rejected")
    await _transition(client, world, ids[4], "reversed")


async def test_clicks_conversions_money_and_ratios(client: Client, world: World) -> None:
    await _five_statuses(client, world)
    report = await _stats(client, world, group_by="offer", date_from=_today(), date_to=_today())
    assert report["group_by"] == ["offer"] and report["currency"] == "USD" and report["timezone"] == "UTC"
    assert len(report["rows"]) == 1
    row = report["rows"][0]
    assert row["offer_id"] == world.offers["public"]
    assert (row["clicks"], row["unique_clicks"], row["invalid_clicks"]) == (6, 5, 1)
    assert row["conversions"] == 5
    assert [row[s] for s in ("pending", "hold", "approved", "rejected", "reversed")] == [1, 1, 1, 1, 1]
    # Payout 10.00 and revenue 15.00 each, counted for the pending, held and approved ones.
    assert (row["payout"], row["revenue"], row["profit"]) == ("30.00", "45.00", "15.00")
    assert row["cr"] == "0.6000"  # 3 converted / 5 unique clicks
    assert row["epc"] == "5.0000"  # 30.00 / 6 clicks
    totals = {k: v for k, v in report["totals"].items() if k != "offer_id"}
    assert totals == {k: v for k, v in row.items() if k != "offer_id"}
    assert report["other_currencies"] == []


async def test_grouping_by_sub1_country_and_goal(client: Client, world: World) -> None:
    await _five_statuses(client, world)
    by_sub1 = await _stats(client, world, group_by="sub1")
    assert [r["sub1"] for r in by_sub1["rows"]] == ["a", "b", "c"]
    a, b, c = by_sub1["rows"]
    assert (a["clicks"], a["unique_clicks"], a["invalid_clicks"], a["conversions"]) == (3, 2, 1, 2)
    assert (b["clicks"], b["approved"], b["pending"], b["rejected"], b["payout"]) == (2, 0, 1, 1, "10.00")
    assert (c["clicks"], c["reversed"], c["payout"], c["cr"]) == (1, 1, "0.00", "0.0000")
    by_country = await _stats(client, world, group_by="country,sub1")
    assert [(r["country"], r["sub1"], r["clicks"]) for r in by_country["rows"]] == [
        ("DE", "c", 1),
        ("US", "a", 3),
        ("US", "b", 2),
    ]
    assert set(by_country["rows"][0]) >= {"country", "sub1"} and "offer_id" not in by_country["rows"][0]
    by_goal = await _stats(client, world, group_by="goal,sub2")
    assert len(by_goal["rows"]) == 1
    goal = by_goal["rows"][0]
    assert goal["conversions"] == 5 and goal["payout"] == "30.00"
    # The click rollups have no goal nor sub2: click metrics and the ratios built on them are unknown.
    assert (goal["clicks"], goal["unique_clicks"], goal["invalid_clicks"], goal["cr"], goal["epc"]) == (
        None,
        None,
        None,
        None,
        None,
    )
    everything = await _stats(client, world, group_by="")
    assert everything["group_by"] == [] and len(everything["rows"]) == 1
    assert everything["rows"][0]["clicks"] == 6 and everything["rows"][0]["conversions"] == 5


async def test_roles_see_their_own_rows_and_money(client: Client, world: World) -> None:
    await fund(world, "1000.00")
    token = (await credential(client, world))["token"]
    await _convert(client, token, await _click(client, world, sub1="mine"))
    now = datetime.now(UTC)
    theirs = await _stored_click(world, world.other_webmaster_id, now, sub1="theirs")
    await _convert(client, token, theirs)

    staff = await _stats(client, world, group_by="webmaster")
    assert [r["webmaster_id"] for r in staff["rows"]] == sorted(
        [world.webmaster_id, world.other_webmaster_id]
    )
    assert all(r["clicks"] == 1 and r["profit"] == "5.00" for r in staff["rows"])

    mine = await _stats(client, world, "webmaster", group_by="webmaster,sub1")
    assert [(r["webmaster_id"], r["sub1"]) for r in mine["rows"]] == [(world.webmaster_id, "mine")]
    row = mine["rows"][0]
    assert row["payout"] == "10.00" and row["epc"] == "10.0000"
    assert row["revenue"] is None and row["profit"] is None
    assert mine["totals"]["revenue"] is None and mine["totals"]["conversions"] == 1
    assert "theirs" not in str(mine)
    foreign = await client.get(
        "/api/v1/stats",
        params={"webmaster_id": world.other_webmaster_id},
        headers=world.auth("webmaster"),
    )
    assert foreign.status_code == 422 and foreign.headers["content-type"].startswith(
        "application/problem+json"
    )

    adv = await _stats(client, world, "advertiser", group_by="webmaster")
    assert len(adv["rows"]) == 2
    assert all(r["revenue"] == "15.00" and r["payout"] is None for r in adv["rows"])
    assert all(r["profit"] is None and r["epc"] is None for r in adv["rows"])
    filtered = await _stats(client, world, "advertiser", webmaster_id=world.other_webmaster_id, group_by="")
    assert filtered["rows"][0]["clicks"] == 1 and filtered["rows"][0]["conversions"] == 1


async def test_other_networks_and_advertisers_see_nothing(
    client: Client, world: World, other_world: World
) -> None:
    await fund(world, "1000.00")
    token = (await credential(client, world))["token"]
    await _convert(client, token, await _click(client, world, sub1="x"))
    for role in ("staff", "advertiser", "webmaster"):
        report = await _stats(client, other_world, role, group_by="offer")
        assert report["rows"] == [] and report["totals"]["clicks"] == 0, role
    # Filtering by another network's offer gives nothing either.
    report = await _stats(client, other_world, "staff", offer_id=world.offers["public"], group_by="")
    assert report["rows"][0]["clicks"] == 0 and report["rows"][0]["conversions"] == 0
    # Another advertiser of the same network sees none of this advertiser's offers.
    created = await accounts.create_user(
        world.principals["network_admin"],
        UserCreate(
            email=f"adv2-{world.tag}@example.com", password="correct-horse-battery", role="advertiser"
        ),
        client.app.state.hasher,
    )
    key = await authn.create_api_key(
        await _principal_for(world.network_id, created.id), ApiKeyCreate(name="t"), 100_000
    )
    response = await client.get(
        "/api/v1/stats", params={"group_by": "offer"}, headers={"Authorization": f"Bearer {key.secret}"}
    )
    assert response.status_code == 200 and response.json()["rows"] == []
    assert (await _stats(client, world, "advertiser", group_by="offer"))["totals"]["clicks"] == 1


async def test_csv_matches_json_and_guards_formulas(client: Client, world: World) -> None:
    await _five_statuses(client, world)
    await _click(client, world, sub1="=HYPERLINK(1)")
    report = await _stats(client, world, group_by="sub1,country")
    response = await client.get(
        "/api/v1/stats", params={"group_by": "sub1,country", "format": "csv"}, headers=world.auth("staff")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(report["rows"]) == 4
    assert list(rows[0])[:4] == ["sub1", "country", "clicks", "unique_clicks"]
    assert "'=HYPERLINK(1)" in {r["sub1"] for r in rows}
    for line, row in zip(rows, report["rows"], strict=True):
        for name, cell in line.items():
            value = row[name]
            if name == "sub1" and value.startswith("="):
                value = "'" + value
            assert cell == ("" if value is None else str(value)), (name, cell, value)

    webmaster = await client.get(
        "/api/v1/stats", params={"group_by": "day", "format": "csv"}, headers=world.auth("webmaster")
    )
    header = next(csv.reader(io.StringIO(webmaster.text)))
    assert "payout" in header and "revenue" not in header and "profit" not in header


async def test_days_and_date_filters(client: Client, world: World) -> None:
    await fund(world, "1000.00")
    token = (await credential(client, world))["token"]
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    await _stored_click(world, world.webmaster_id, yesterday)
    await _stored_click(world, world.webmaster_id, yesterday)
    await _convert(client, token, await _click(client, world))
    today, before = now.date(), yesterday.date()

    days = await _stats(
        client, world, group_by="day", date_from=before.isoformat(), date_to=today.isoformat()
    )
    assert [(r["day"], r["clicks"], r["conversions"]) for r in days["rows"]] == [
        (before.isoformat(), 2, 0),
        (today.isoformat(), 1, 1),
    ]
    only_today = await _stats(client, world, group_by="day", date_from=today.isoformat())
    assert [r["day"] for r in only_today["rows"]] == [today.isoformat()]
    only_yesterday = await _stats(
        client, world, group_by="day", date_from=before.isoformat(), date_to=before.isoformat()
    )
    assert [(r["clicks"], r["conversions"], r["payout"]) for r in only_yesterday["rows"]] == [(2, 0, "0.00")]
    later = (today + timedelta(days=3)).isoformat()
    future = await _stats(client, world, group_by="day", date_from=later, date_to=later)
    assert future["rows"] == [] and future["totals"]["clicks"] == 0
    # Default: the last 7 days up to today.
    default = await _stats(client, world)
    assert default["date_to"] == today.isoformat()
    assert default["date_from"] == (today - timedelta(days=6)).isoformat()


async def test_bad_input_is_a_problem(client: Client, world: World) -> None:
    for params in (
        {"group_by": "day,hour"},
        {"group_by": "day,day"},
        {"group_by": "day,offer,webmaster,sub1"},
        {"date_from": "2026-05-02", "date_to": "2026-05-01"},
        {"date_from": "2020-01-01", "date_to": "2026-01-01"},
        {"date_from": "1999-12-31"},
        {"currency": "XYZ"},
    ):
        response = await client.get("/api/v1/stats", params=params, headers=world.auth("staff"))
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["status"] == 422 and body["detail"], body
    unknown = await client.get("/api/v1/stats?group_by=offer,hour", headers=world.auth("staff"))
    assert "hour" in unknown.json()["detail"] and unknown.json()["field"] == "group_by"


async def test_a_report_over_the_row_cap_is_a_problem(client: Client, world: World) -> None:
    """A click from each of MAX_ROWS + 1 webmasters today: a row per webmaster is too many, network-wide
    (refused on a count of the daily keys) and filtered by country (on the click query's rows) alike."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0).timestamp()
    events = [_click_event(world, 10_000 + i, now + i / 1000) for i in range(MAX_ROWS + 1)]
    for i in range(0, len(events), 2000):
        await store(events[i : i + 2000])
    for params in ({"group_by": "webmaster"}, {"group_by": "webmaster,sub1", "country": "US"}):
        response = await client.get(
            "/api/v1/stats", params={"date_from": _today(), **params}, headers=world.auth("staff")
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert (body["status"], body["title"], body["detail"]) == (422, "Invalid input", TOO_MANY), body
        assert body["max_rows"] == MAX_ROWS
    # One offer: one row.
    offers = await _stats(client, world, date_from=_today(), group_by="offer")
    assert [(r["offer_id"], r["clicks"]) for r in offers["rows"]] == [(world.offers["public"], MAX_ROWS + 1)]


def test_days_in_whole_and_half_hour_zones() -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    moscow = period(date(2026, 11, 1), date(2026, 11, 2), ZoneInfo("Europe/Moscow"), now)
    assert (
        moscow.conversions
        == moscow.clicks
        == [
            datetime(2026, 10, 31, 21, tzinfo=UTC),
            datetime(2026, 11, 1, 21, tzinfo=UTC),
            datetime(2026, 11, 2, 21, tzinfo=UTC),
        ]
    )
    # India is UTC+5:30: a day's conversions start at local midnight, its clicks with the hour starting at
    # 00:30 local (19:00 UTC), the first rollup hour that starts on that day.
    kolkata = period(date(2026, 11, 1), date(2026, 11, 1), ZoneInfo("Asia/Kolkata"), now)
    assert kolkata.conversions == [
        datetime(2026, 10, 31, 18, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 18, 30, tzinfo=UTC),
    ]
    assert kolkata.clicks == [datetime(2026, 10, 31, 19, tzinfo=UTC), datetime(2026, 11, 1, 19, tzinfo=UTC)]
    # A day with a DST change has 25 hours in Berlin (26 October 2025).
    berlin = period(date(2025, 10, 26), date(2025, 10, 26), ZoneInfo("Europe/Berlin"), now)
    assert berlin.clicks[1] - berlin.clicks[0] == timedelta(hours=25)
    assert period(None, None, ZoneInfo("UTC"), now).first == date(2026, 11, 17)


async def test_the_conversion_side_cut_into_parts_gives_the_same_report(client: Client, world: World) -> None:
    """The five conversions moved onto five days of a week: the report is the same whether the conversion
    side runs as one query or cut into 2, 3 or 7 parts of days (each on its own connection on PostgreSQL),
    for every grouping, with a key (an offer, a country, a status) in several parts."""
    await _five_statuses(client, world)
    today = datetime.now(UTC).date()
    rows = await Conversion.select(Conversion.id).where(Conversion.network == world.network_id)
    for n, row in enumerate(sorted(rows, key=lambda r: int(r["id"]))):
        moved = datetime.combine(today - timedelta(days=n), time(12), tzinfo=UTC)
        await Conversion.update({Conversion.created_at: moved}).where(Conversion.id == row["id"])
    staff = Principal(network_id=world.network_id, user_id=1, role=Role.STAFF)
    week: dict[str, Any] = {"date_from": today - timedelta(days=6), "date_to": today}
    for group_by in ("", "day", "offer", "country,day", "goal", "sub1,day", "webmaster,offer"):
        query = StatsQuery(**week, group_by=group_by)
        whole = await service.report(staff, query, conversion_parts=1)
        assert whole.totals.conversions == 5, group_by
        for parts in (2, 3, 7):
            assert await service.report(staff, query, conversion_parts=parts) == whole, (group_by, parts)
        assert await service.report(staff, query) == whole
    days = await service.report(staff, StatsQuery(**week, group_by="day"), conversion_parts=3)
    assert [r.conversions for r in days.rows if r.conversions] == [1, 1, 1, 1, 1]
