"""Bulk decisions on the conversions review: tick conversions, approve or reject them at once with a
reason (the bulk-status service); the one-by-one forms keep working."""

from __future__ import annotations

import pytest

from network.conversions.tables import Conversion
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, conversion, field_error, page_text
from tests.ui.test_i18n import _assert_russian

pytestmark = pytest.mark.sqlite_only


async def _status(conversion_id: int) -> tuple[str, str, str]:
    row = await Conversion.select(Conversion.status, Conversion.reason, Conversion.reason_detail).where(
        Conversion.id == conversion_id
    )
    return row[0]["status"], row[0]["reason"], row[0]["reason_detail"]


async def test_bulk_reject_with_a_reason(client: Client, world: World) -> None:
    first = await conversion(client, world, "BULK-1", status="pending")
    second = await conversion(client, world, "BULK-2", status="pending")
    third = await conversion(client, world, "BULK-3", status="pending")
    adv = await browser(client, world, "advertiser")
    page = await adv.get("/ui/adv/conversions?status=pending")
    assert 'id="bulk-form"' in page.text
    assert f'name="ids" value="{first}" form="bulk-form"' in page.text
    form = {
        "ids": [str(first), str(second)],
        "to": "rejected",
        "reason": "duplicate_order",
        "status": "pending",
    }
    refused = await adv.client.post(
        "/ui/adv/conversions/bulk", data=form, headers=adv.headers, follow_redirects=False
    )
    assert refused.status_code == 403
    no_words = await adv.client.post(
        "/ui/adv/conversions/bulk",
        data={**form, "_csrf": adv.csrf},
        headers=adv.headers,
        follow_redirects=False,
    )
    assert no_words.status_code == 422
    assert field_error(no_words.text, "bulk-comment") == "Write a reason: the other side reads it."
    assert (await _status(first))[0] == "pending"
    done = await adv.client.post(
        "/ui/adv/conversions/bulk",
        data={**form, "comment": "Same order twice", "_csrf": adv.csrf},
        headers=adv.headers,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/adv/conversions?status=pending&done=adv_bulk_done"
    assert await _status(first) == ("rejected", "duplicate_order", "Same order twice")
    assert await _status(second) == ("rejected", "duplicate_order", "Same order twice")
    assert (await _status(third))[0] == "pending"
    # The one-by-one form still works.
    one = await adv.post(f"/ui/adv/conversions/{third}/decision", {"to": "approved", "status": "pending"})
    assert one.status_code == 303 and (await _status(third))[0] == "approved"


async def test_bulk_needs_a_ticked_conversion_and_reports_refusals(client: Client, world: World) -> None:
    first = await conversion(client, world, "BULK-4", status="pending")
    adv = await browser(client, world, "advertiser")
    empty = await adv.post("/ui/adv/conversions/bulk", {"to": "approved", "status": "pending"})
    assert empty.status_code == 422
    assert field_error(empty.text, "bulk-ids") == "Tick at least one conversion."
    done = await adv.post("/ui/adv/conversions/bulk", {"ids": str(first), "to": "approved"})
    assert done.status_code == 303 and (await _status(first))[0] == "approved"
    # Approving it again is refused for that conversion; the page says which one.
    again = await adv.post("/ui/adv/conversions/bulk", {"ids": str(first), "to": "approved"})
    assert again.status_code == 200 and 'id="bulk-failures"' in again.text
    assert f"Conversion #{first}" in page_text(again.text)


async def test_others_cannot_use_the_bulk_form(client: Client, world: World) -> None:
    first = await conversion(client, world, "BULK-5", status="pending")
    for role in ("webmaster", "staff"):
        session = await browser(client, world, role)
        answer = await session.post("/ui/adv/conversions/bulk", {"ids": str(first), "to": "approved"})
        assert answer.status_code == 403
    assert (await _status(first))[0] == "pending"


async def test_bulk_in_russian(client: Client, world: World) -> None:
    await conversion(client, world, "BULK-6", status="pending")
    adv = await browser(client, world, "advertiser")
    await adv.get("/ui/lang/ru")
    _assert_russian((await adv.get("/ui/adv/conversions?status=pending")).text, "bulk")
    refused = await adv.post("/ui/adv/conversions/bulk", {"to": "rejected", "status": "pending"})
    _assert_russian(refused.text, "bulk refused")
