"""The webmaster's stats page and its CSV, over real clicks and postbacks, against network.stats itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from admin_ui.i18n import Translator
from network.stats import csv
from network.stats import service as stats
from network.tenants import service as tenants
from tests.support.client import Client
from tests.support.conversions import click, credential, fund, postback
from tests.support.world import World
from tests.ui.support import browser, conversion, field_error, page_text
from tests.ui.test_i18n import _assert_russian

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only

EN, RU = Translator("en"), Translator("ru")


async def _today(world: World) -> str:
    network = await tenants.get_network(world.principals["webmaster"])
    return datetime.now(ZoneInfo(network.timezone)).date().isoformat()


async def _traffic(client: Client, world: World) -> None:
    """Two conversions (one with sub1) and a click that did not convert."""
    await conversion(client, world, "S-1")
    await fund(world, "100.00")
    token = (await credential(client, world))["token"]
    click_id = await click(client, world, sub1="campaign-a")
    answer = await postback(client, token, click_id=click_id, order_id="S-2", sale_amount="40")
    assert answer.status_code == 200, answer.text
    await click(client, world)


async def test_stats_by_day_table_chart_and_totals(client: Client, world: World) -> None:
    await _traffic(client, world)
    wm = await browser(client, world, "webmaster")
    today = await _today(world)
    response = await wm.get("/ui/wm/stats")
    assert response.status_code == 200, response.text[:2000]
    page = response.text
    assert 'id="stats-chart"' in page and "<svg" in page
    assert f'value="{today}"' in page  # the period the service chose, in the form
    for name in ("date_from", "date_to", "group_by"):
        assert f'name="{name}"' in page and f'<label for="f-{name}">' in page
    expected = await stats.report(world.principals["webmaster"], stats.StatsQuery(group_by="day"))
    total = expected.totals
    assert total.clicks == 3 and total.conversions == 2
    # Total: clicks, unique, invalid, conversions, pending, hold, approved, rejected, reversed, CR, EPC and
    # payout (two conversions at $10.00 from three clicks).
    text = page_text(page.split('<tr id="stats-total">')[1].split("</tr>")[0])
    assert text.split("\n") == [
        "Total",
        "3",
        "3",
        "0",
        "2",
        "0",
        "0",
        "2",
        "0",
        "0",
        "66.67%",
        "$6.67",
        "$20.00",
    ]
    assert 'href="/ui/wm/stats" aria-current="page"' in page


async def test_stats_grouped_by_sub1_offer_and_country(client: Client, world: World) -> None:
    await _traffic(client, world)
    wm = await browser(client, world, "webmaster")
    by_sub = page_text((await wm.get("/ui/wm/stats?group_by=sub1")).text)
    assert "campaign-a" in by_sub and EN("wm.stats.empty_value") in by_sub
    by_offer = await wm.get("/ui/wm/stats?group_by=offer")
    assert f'href="/ui/wm/offers/{world.offers["public"]}">Offer {world.tag} public</a>' in by_offer.text
    assert 'id="stats-chart"' not in by_offer.text  # a chart only for the days
    by_country = page_text((await wm.get("/ui/wm/stats?group_by=country")).text)
    assert "\nUS\n" in by_country


async def test_stats_csv_is_the_apis(client: Client, world: World) -> None:
    await _traffic(client, world)
    wm = await browser(client, world, "webmaster")
    today = await _today(world)
    page = await wm.get(f"/ui/wm/stats?group_by=offer&date_from={today}&date_to={today}")
    assert f'href="/ui/wm/stats.csv?date_from={today}&amp;date_to={today}&amp;group_by=offer"' in page.text
    response = await wm.get(f"/ui/wm/stats.csv?date_from={today}&date_to={today}&group_by=offer")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    report = await stats.report(
        world.principals["webmaster"],
        stats.StatsQuery(
            date_from=datetime.fromisoformat(today).date(),
            date_to=datetime.fromisoformat(today).date(),
            group_by="offer",
        ),
    )
    assert response.text == csv.render(report, world.principals["webmaster"])
    api = await client.get(
        f"/api/v1/stats?date_from={today}&date_to={today}&group_by=offer&format=csv",
        headers=world.auth("webmaster"),
    )
    assert api.status_code == 200 and api.text == response.text
    assert "revenue" not in response.text.splitlines()[0]  # webmasters never see revenue


async def test_stats_errors_next_to_the_date_fields(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    wrong_order = await wm.get("/ui/wm/stats?date_from=2026-11-20&date_to=2026-11-01")
    assert wrong_order.status_code == 422
    assert field_error(wrong_order.text, "date_from") == EN("wm.err.dates_order")
    nonsense = await wm.get("/ui/wm/stats?date_to=yesterday")
    assert nonsense.status_code == 422
    assert field_error(nonsense.text, "date_to") == EN("wm.err.date_invalid")
    too_long = await wm.get("/ui/wm/stats?date_from=2024-01-01&date_to=2026-01-01")
    assert field_error(too_long.text, "date_from") == EN("wm.err.period_long")
    refused_csv = await wm.get("/ui/wm/stats.csv?date_from=2026-11-20&date_to=2026-11-01")
    assert refused_csv.status_code == 422 and refused_csv.headers["content-type"].startswith("text/html")


async def test_stats_empty_state(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    day = (datetime.now() - timedelta(days=400)).date().isoformat()
    text = page_text((await wm.get(f"/ui/wm/stats?date_from={day}&date_to={day}&group_by=country")).text)
    assert EN("wm.stats.none") in text


@pytest.mark.parametrize("role", ["advertiser", "staff", "network_admin"])
async def test_other_roles_get_403(client: Client, world: World, role: str) -> None:
    session = await browser(client, world, role)
    for path in ("/ui/wm/stats", "/ui/wm/stats.csv"):
        assert (await session.get(path)).status_code == 403, path


async def test_russian_stats(client: Client, world: World) -> None:
    await _traffic(client, world)
    wm = await browser(client, world, "webmaster")
    assert (await wm.get("/ui/lang/ru")).status_code == 303
    text = _assert_russian((await wm.get("/ui/wm/stats")).text, "stats")
    assert RU("wm.stats.chart_title") in text and RU("wm.stats.total") in text and "20,00\u00a0$" in text
    by_sub = _assert_russian((await wm.get("/ui/wm/stats?group_by=sub1")).text, "by sub1")
    assert RU("wm.stats.empty_value") in by_sub
    refused = await wm.get("/ui/wm/stats?date_from=2026-11-20&date_to=2026-11-01")
    assert field_error(refused.text, "date_from") == RU("wm.err.dates_order")
    _assert_russian(refused.text, "refused")
