"""The advertiser's dashboard and balance with stats: real clicks and postbacks on their offers."""

from __future__ import annotations

import pytest

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


async def test_other_roles_get_403(client: Client, world: World) -> None:
    for role in ("webmaster", "staff"):
        session = await browser(client, world, role)
        for path in ("/ui/adv", "/ui/adv/balance"):
            assert (await session.get(path)).status_code == 403, (role, path)


async def test_in_russian(client: Client, world: World) -> None:
    await conversion(client, world, "ADV-R1")
    adv = await browser(client, world, "advertiser")
    await adv.get("/ui/lang/ru")
    dash = _assert_russian((await adv.get("/ui/adv")).text, "dashboard")
    assert RU("adv.metric.spend") in dash and "15,00\u00a0$" in dash
    balance = _assert_russian((await adv.get("/ui/adv/balance?group_by=offer")).text, "balance")
    assert RU("adv.balance.prepaid") in balance
