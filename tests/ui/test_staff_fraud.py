"""Staff fraud cases: invalid clicks grouped by webmaster, sub id and address with decoded signals, counts
and samples, from real clicks through the tracking link; the webmaster banned with a reason."""

from __future__ import annotations

import pytest

from fastpath.reasons import FraudFlag
from network.accounts.tables import Webmaster
from network.errors import PermissionDeniedError
from network.tracking import fraud_cases
from tests.support.client import Client
from tests.support.conversions import click
from tests.support.world import World, build_world
from tests.ui.support import browser, field_error, page_text, tracked_click

pytestmark = pytest.mark.sqlite_only

BOT = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X) Mobile Safari/537.36 (compatible; Googlebot/2.1)"


async def _bot_click(client: Client, world: World, ip: str, sub1: str) -> str:
    """A real click through the tracking link from a crawler's browser: redirected, stored as invalid."""
    row = await tracked_click(client, world, ip=ip, user_agent=BOT, sub1=sub1)
    assert row["valid"] is False and row["fraud_flags"] & FraudFlag.BOT_UA
    return str(row["click_id"])


async def _status(webmaster_id: int) -> tuple[str, str]:
    row = (await Webmaster.select().where(Webmaster.id == webmaster_id))[0]
    return row["status"], row["status_reason"]


async def test_cases_group_and_decode_the_evidence(client: Client, world: World) -> None:
    for _ in range(3):
        await _bot_click(client, world, "93.1.1.1", "placement-a")
    await _bot_click(client, world, "93.2.2.2", "placement-b")
    await click(client, world, sub1="clean")  # a valid click is no case
    report = await fraud_cases.cases(world.principals["staff"], days=1)
    assert [(c.sub1, c.ip, c.clicks) for c in report.cases] == [
        ("placement-a", "93.1.1.1", 3),
        ("placement-b", "93.2.2.2", 1),
    ]
    top = report.cases[0]
    assert top.webmaster_id == world.webmaster_id and top.signal_counts["bot_ua"] == 3
    assert len(top.samples) == 3 and "Googlebot" in top.samples[0].user_agent
    assert report.invalid_clicks == 4 and report.total_cases == 2
    assert sum(d.invalid for d in report.daily) >= 4 and sum(d.clicks for d in report.daily) >= 5
    # Another network's clicks are not this network's cases, and only staff may read them.
    other = await build_world(client)
    assert (await fraud_cases.cases(other.principals["staff"], days=1)).cases == []
    with pytest.raises(PermissionDeniedError):
        await fraud_cases.cases(world.principals["webmaster"])


@pytest.mark.parametrize("role", ["staff", "network_admin"])
async def test_the_page_shows_the_cases(client: Client, world: World, role: str) -> None:
    session = await browser(client, world, role)
    empty = page_text((await session.get("/ui/staff/fraud")).text)
    assert "No invalid clicks in this period." in empty
    await _bot_click(client, world, "93.3.3.3", "placement-c")
    page = await session.get("/ui/staff/fraud?days=1")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "placement-c" in text and "93.3.3.3" in text and "Bot or crawler browser" in text
    assert "1 invalid click · cases: 1" in text and "Invalid clicks per day" in text and "<svg" in page.text
    assert 'href="/ui/staff/fraud"' in page.text
    assert "block it on the block lists page" in text
    assert 'href="/ui/staff/lists?kind=ip&amp;value=93.3.3.3#add"' in page.text
    assert 'href="/ui/staff/lists?kind=sub&amp;value=placement-c#add"' in page.text


async def test_other_roles_are_refused(client: Client, world: World) -> None:
    for role in ("webmaster", "advertiser"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/staff/fraud")).status_code == 403
        path = f"/ui/staff/fraud/webmasters/{world.webmaster_id}/ban"
        assert (await session.post(path, {"reason": "x"})).status_code == 403
    assert (await _status(world.webmaster_id))[0] == "active"


async def test_ban_needs_the_token_and_a_reason(client: Client, world: World) -> None:
    await _bot_click(client, world, "93.4.4.4", "placement-d")
    report = await fraud_cases.cases(world.principals["staff"], days=1)
    key = report.cases[0].key
    staff = await browser(client, world, "staff")
    path = f"/ui/staff/fraud/webmasters/{world.webmaster_id}/ban"
    form = {"case": key, "days": "1", "reason": "Crawler traffic on placement-d"}
    for token in (None, "forged"):
        assert (await staff.post(path, form, csrf=token)).status_code == 403
    empty = await staff.post(path, {**form, "reason": ""})
    assert empty.status_code == 422
    assert field_error(empty.text, f"reason-case-{key}") == "This field is required."
    assert (await _status(world.webmaster_id))[0] == "active"
    done = await staff.post(path, form)
    assert (
        done.status_code == 303
        and done.headers["location"] == "/ui/staff/fraud?days=1&done=staff_fraud_banned"
    )
    assert await _status(world.webmaster_id) == ("banned", "Crawler traffic on placement-d")
    text = page_text((await staff.get(done.headers["location"])).text)
    assert "The webmaster was banned; they read your reason." in text and "Banned" in text
