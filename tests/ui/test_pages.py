"""Every page renders for its role, through a real session, and shows what its services returned."""

from __future__ import annotations

import pytest

from network.offers import service as offers
from network.offers.schemas import Transition
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, conversion, page_text

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only


WEBMASTER_PAGES = ["/ui/wm", "/ui/wm/offers", "/ui/wm/conversions", "/ui/wm/balance"]


async def test_webmaster_pages_render(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    for path in [*WEBMASTER_PAGES, f"/ui/wm/offers/{world.offers['public']}"]:
        response = await wm.get(path)
        assert response.status_code == 200, (path, response.text[:2000])
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert '<html lang="en">' in response.text
        # Every page has the navigation of the webmaster's cabinet, with the current page marked.
        assert 'aria-current="page"' in response.text


async def test_root_sends_each_role_home_and_strangers_to_login(client: Client, world: World) -> None:
    anonymous = await client.get("/ui", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/ui/login"
    homes = {
        "webmaster": "/ui/wm",
        "advertiser": "/ui/adv",
        "staff": "/ui/staff/moderation",
        "network_admin": "/ui/staff/moderation",
    }
    for role, home in homes.items():
        response = await (await browser(client, world, role)).get("/ui")
        assert response.status_code == 303 and response.headers["location"] == home, role


async def test_pages_need_a_session(client: Client, world: World) -> None:
    for path in [*WEBMASTER_PAGES, "/ui/adv/conversions", "/ui/staff/moderation"]:
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/ui/login?next=")
    expired = await client.get(
        "/ui/wm", headers={"Cookie": "cpanet_session=nonsense"}, follow_redirects=False
    )
    assert expired.status_code == 303


async def test_offer_catalogue_search_and_filters(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    everything = page_text((await wm.get("/ui/wm/offers")).text)
    assert f"Offer {world.tag} public" in everything
    assert f"Offer {world.tag} approval_required" in everything
    assert f"Draft {world.tag}" not in everything  # drafts are not in the catalogue
    only = page_text((await wm.get("/ui/wm/offers?visibility=approval_required")).text)
    assert f"Offer {world.tag} approval_required" in only and f"Offer {world.tag} public" not in only
    searched = page_text((await wm.get(f"/ui/wm/offers?q={world.tag}%20public")).text)
    assert f"Offer {world.tag} public" in searched and "approval_required" not in searched
    none = await wm.get("/ui/wm/offers?category=no-such-category")
    assert "No offers match these filters." in page_text(none.text)
    assert 'href="/ui/wm/offers">Clear filters' in none.text


async def test_offer_page_shows_terms_in_force_and_the_upcoming_change(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    text = page_text((await wm.get(f"/ui/wm/offers/{world.offers['public']}")).text)
    assert "$10.00" in text  # the payout in force
    assert "Change announced for" in text and "$12.00" in text  # the upcoming version, with its date
    assert "Joined" in text
    # Not joined yet (the other offer's access is requested): the request button is there, with a message box.
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    page = await other.get(f"/ui/wm/offers/{world.offers['public']}")
    assert "Join offer" in page_text(page.text)
    assert f'action="/ui/wm/offers/{world.offers["public"]}/join"' in page.text


async def test_join_an_offer(client: Client, world: World) -> None:
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    response = await other.post(f"/ui/wm/offers/{world.offers['public']}/join", {})
    assert response.status_code == 303
    assert response.headers["location"] == f"/ui/wm/offers/{world.offers['public']}?done=joined"
    page = page_text((await other.get(response.headers["location"])).text)
    assert "You have joined this offer." in page and "Joined" in page
    again = await other.post(f"/ui/wm/offers/{world.offers['public']}/join", {})
    assert again.status_code == 409
    assert "You have already joined or asked to join this offer." in page_text(again.text)


async def test_hidden_offer_is_a_friendly_404(client: Client, world: World) -> None:
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    response = await other.get(f"/ui/wm/offers/{world.offers['private']}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in page_text(response.text)


async def test_new_webmaster_sees_what_to_do_next(client: Client, world: World) -> None:
    # The second webmaster has joined nothing (its request waits) and has no conversions.
    other = await browser(client, world, "webmaster", email=f"wm2-{world.tag}@example.com")
    dashboard = page_text((await other.get("/ui/wm")).text)
    assert "Start by joining an offer" in dashboard and "Browse offers →" in dashboard
    assert "No conversions in the last 14 days." in dashboard
    assert "No conversions yet." in page_text((await other.get("/ui/wm/conversions")).text)
    balance = page_text((await other.get("/ui/wm/balance")).text)
    assert "No withdrawals yet." in balance and "Nothing here yet" in balance


async def test_dashboard_counts_and_charts_a_conversion(client: Client, world: World) -> None:
    await conversion(client, world, "DASH-1")
    wm = await browser(client, world, "webmaster")
    html = (await wm.get("/ui/wm")).text
    text = page_text(html)
    assert "No conversions yet" not in text
    # Today: one click, one conversion, $10.00 earned; the chart has a bar for today with its count.
    today = text.split("Today", 1)[1].split("This month", 1)[0]
    assert "Clicks\n1" in today and "Conversions\n1" in today and "$10.00" in today
    assert "<svg" in html and 'role="img"' in html
    assert "1 conversion in total" in text
    assert html.count('class="bar"') == 14


async def test_conversions_list_shows_status_reason_and_hold(client: Client, world: World) -> None:
    conversion_id = await conversion(client, world, "LIST-1")
    wm = await browser(client, world, "webmaster")
    html = (await wm.get("/ui/wm/conversions")).text
    text = page_text(html)
    assert str(conversion_id) in text and "Approved" in text and "$10.00" in text
    filtered = page_text((await wm.get("/ui/wm/conversions?status=rejected")).text)
    assert "No conversions with the status “Rejected”." in filtered


async def test_balance_page_shows_ledger_in_words(client: Client, world: World) -> None:
    await conversion(client, world, "BAL-1")
    wm = await browser(client, world, "webmaster")
    text = page_text((await wm.get("/ui/wm/balance")).text)
    assert "Available\n$10.00" in text
    assert "Conversion recorded" in text or "Conversion approved" in text
    assert "Request withdrawal" in text


async def test_advertiser_and_staff_pages_render(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    review = await adv.get("/ui/adv/conversions")
    assert review.status_code == 200
    assert "No conversions with the status “Pending”." in page_text(review.text)
    await offers.transition(world.principals["advertiser"], world.offers["draft"], Transition(to="pending"))
    for role in ("staff", "network_admin"):
        staff = await browser(client, world, role)
        page = await staff.get("/ui/staff/moderation")
        assert page.status_code == 200
        text = page_text(page.text)
        assert f"Draft {world.tag}" in text
        assert "No webmasters are waiting." in text


async def test_a_malformed_address_gets_a_page_not_a_problem_document(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    for path in ("/ui/wm/offers?offset=-5", "/ui/wm/offers/0", "/ui/wm/conversions?status=" + "x" * 500):
        response = await wm.get(path)
        assert response.status_code == 400, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "The request could not be understood." in page_text(response.text)
