"""The advertiser's dashboard and balance with stats: real clicks and postbacks on their offers."""

from __future__ import annotations

import pytest

from network.stats import csv
from network.stats import service as stats
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, conversion, field_error, page_text
from tests.ui.test_i18n import RU, _assert_russian

pytestmark = pytest.mark.sqlite_only


async def test_the_dashboard_shows_today_the_balance_and_the_chart(client: Client, world: World) -> None:
    await conversion(client, world, "ADV-D1")
    adv = await browser(client, world, "advertiser")
    page = await adv.get("/ui/adv")
    assert page.status_code == 200
    today = page.text.split('id="stat-today"', 1)[1].split("</section>", 1)[0]
    text = page_text(today)
    assert "Clicks\n1" in text and "Conversions\n1" in text and "Spend\n$15.00" in text
    # 1000.00 deposited, 15.00 spent on the approved conversion.
    assert "$985.00" in page_text(page.text.split('id="stat-balance"', 1)[1].split("</section>")[0])
    assert '<svg viewBox="0 0 700 180" role="img"' in page.text and "1 conversion in total" in page.text
    # The access request from the second webmaster waits.
    assert "1 access request is waiting for your decision" in page_text(page.text)
    assert 'href="/ui/adv" aria-current="page"' in page.text


async def test_a_new_advertiser_is_told_what_to_do_next(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    page = page_text((await adv.get("/ui/adv")).text)
    # Offers are live, but nothing was deposited yet.
    assert "Fund your balance" in page and "No conversions in the last 14 days." in page


async def test_balance_lists_the_ledger_and_stats_by_day_and_offer(client: Client, world: World) -> None:
    await conversion(client, world, "ADV-B1")
    adv = await browser(client, world, "advertiser")
    page = await adv.get("/ui/adv/balance")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "Prepaid balance" in text and "$985.00" in text and "Deposit" in text
    assert 'id="stats-chart"' in page.text and 'id="stats-table"' in page.text
    by_offer = await adv.get("/ui/adv/balance?group_by=offer")
    table = page_text(by_offer.text.split('id="stats-table"', 1)[1].split("</table>", 1)[0])
    assert f"Offer {world.tag} public" in table and "$15.00" in table
    wrong = await adv.get("/ui/adv/balance?date_from=2026-05-10&date_to=2026-05-01")
    assert wrong.status_code == 422
    assert field_error(wrong.text, "date_to") == "The end is before the start."
    nonsense = await adv.get("/ui/adv/balance?date_from=yesterday")
    assert field_error(nonsense.text, "date_from") == "This value is not valid."


async def test_stats_csv_is_the_apis(client: Client, world: World) -> None:
    await conversion(client, world, "ADV-C1")
    adv = await browser(client, world, "advertiser")
    page = await adv.get("/ui/adv/balance?group_by=offer")
    link = (
        page.text.split('id="stats-csv"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    )
    assert link.startswith("/ui/adv/stats.csv?") and "group_by=offer" in link
    response = await adv.get(link)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    query = link.split("?", 1)[1]
    api = await client.get(f"/api/v1/stats?{query}&format=csv", headers=world.auth("advertiser"))
    assert api.status_code == 200 and api.text == response.text
    header = response.text.splitlines()[0].split(",")
    assert "revenue" in header and "payout" not in header and "profit" not in header  # the advertiser's view
    assert len(response.text.splitlines()) == 2  # one offer with traffic
    principal = world.principals["advertiser"]
    rows = await stats.report(principal, stats.StatsQuery(date_from=None, date_to=None, group_by="offer"))
    assert csv.render(rows, principal).splitlines()[0] == response.text.splitlines()[0]
    refused = await adv.get("/ui/adv/stats.csv?date_from=2026-05-10&date_to=2026-05-01")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    assert field_error(refused.text, "date_to") == "The end is before the start."


async def test_other_roles_get_403(client: Client, world: World) -> None:
    for role in ("webmaster", "staff"):
        session = await browser(client, world, role)
        for path in ("/ui/adv", "/ui/adv/balance", "/ui/adv/stats.csv"):
            assert (await session.get(path)).status_code == 403, (role, path)


async def test_in_russian(client: Client, world: World) -> None:
    await conversion(client, world, "ADV-R1")
    adv = await browser(client, world, "advertiser")
    await adv.get("/ui/lang/ru")
    dash = _assert_russian((await adv.get("/ui/adv")).text, "dashboard")
    assert RU("adv.metric.spend") in dash and "15,00\u00a0$" in dash
    balance = _assert_russian((await adv.get("/ui/adv/balance?group_by=offer")).text, "balance")
    assert RU("adv.balance.prepaid") in balance
