"""The staff console in Russian: no English catalogue message left on any page, Russian money and dates,
and a refused form's message in Russian next to its field."""

from __future__ import annotations

import re

import pytest

from admin_ui.i18n import NBSP, Translator
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, conversion, field_error
from tests.ui.test_i18n import _assert_russian
from tests.ui.test_staff_fraud import _bot_click

pytestmark = pytest.mark.sqlite_only
RU = Translator("ru")


async def test_the_staff_console_in_russian(client: Client, world: World) -> None:
    await conversion(client, world, "RU-S1")
    pending = await conversion(client, world, "RU-S2", status="pending")
    await _bot_click(client, world, "93.9.9.9", "placement-ru")
    wm = await browser(client, world, "webmaster")
    assert (await wm.post("/ui/wm/withdrawals", {"amount": "2.50", "details": "card"})).status_code == 303
    for role in ("staff", "network_admin"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/lang/ru")).status_code == 303
        pages = {
            "/ui/staff/conversions?status=pending": [RU("staff.conv.title"), RU("staff.conv.to_hold")],
            "/ui/staff/conversions?status=rejected": [RU("staff.conv.none", status=RU("status.rejected"))],
            "/ui/staff/moderation/access": [RU("staff.access.title"), RU("staff.access.decline")],
            "/ui/staff/fraud?days=1": [RU("staff.fraud.title"), RU("staff.fraud.signal.bot_ua")],
            "/ui/staff/fraud?days=30": [RU("staff.fraud.chart_title")],
            "/ui/staff/lists?kind=ip&value=93.9.9.9": [RU("staff.lists.title"), RU("staff.lists.none")],
            "/ui/staff/finance": [RU("staff.fin.title"), RU("staff.fin.approve"), RU("staff.fin.no_batches")],
            "/ui/staff/users": [RU("staff.users.title"), RU("staff.users.to_banned"), RU("staff.users.keys")],
            "/ui/staff/users?role=advertiser": [RU("staff.users.role_advertiser")],
            "/ui/staff/settings": [RU("staff.settings.title"), RU("staff.settings.gate_hold")],
            "/ui/staff/audit": [RU("staff.audit.title"), RU("staff.audit.apply")],
            "/ui/staff/audit?entity=offer&entity_id=0": [RU("staff.audit.none_filtered")],
        }
        for path, expected in pages.items():
            response = await session.get(path)
            assert response.status_code == 200, path
            text = _assert_russian(response.text, path)
            for label in [RU("nav.staff_conversions"), RU("nav.staff_audit"), *expected]:
                assert label in text, (role, path, label)
        finance = _assert_russian((await session.get("/ui/staff/finance")).text, "finance")
        assert f"2,50{NBSP}$" in finance and re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d", finance)
    staff = await browser(client, world, "staff")
    await staff.get("/ui/lang/ru")
    refused = await staff.post(
        f"/ui/staff/conversions/{pending}/decision", {"to": "rejected", "comment": "", "status": "pending"}
    )
    assert refused.status_code == 422
    assert field_error(refused.text, f"c{pending}-comment") == RU("err.reason_required")
    _assert_russian(refused.text, "refused decision")
    done = await staff.post(
        f"/ui/staff/conversions/{pending}/decision",
        {"to": "hold", "comment": "Проверяем заказ", "reason": "manual", "status": "pending"},
    )
    assert done.status_code == 303
    after = _assert_russian((await staff.get(done.headers["location"])).text, "notice")
    assert RU("notice.staff_conversion_hold") in after
