"""Staff moderation: the access requests queue, approved or declined with a reason the webmaster reads."""

from __future__ import annotations

import pytest

from network.offers.tables import OfferAccess
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, field_error, page_text

pytestmark = pytest.mark.sqlite_only


def _path(world: World) -> str:
    return (
        f"/ui/staff/moderation/access/{world.offers['approval_required']}/{world.other_webmaster_id}/decision"
    )


async def _state(world: World) -> tuple[str, str]:
    row = (
        await OfferAccess.select()
        .where(
            (OfferAccess.offer == world.offers["approval_required"])
            & (OfferAccess.webmaster == world.other_webmaster_id)
        )
        .first()
    )
    assert row is not None
    return row["status"], row["reason"]


@pytest.mark.parametrize("role", ["staff", "network_admin"])
async def test_the_queue_is_linked_from_moderation(client: Client, world: World, role: str) -> None:
    session = await browser(client, world, role)
    moderation = await session.get("/ui/staff/moderation")
    assert 'href="/ui/staff/moderation/access"' in moderation.text
    page = await session.get("/ui/staff/moderation/access")
    assert page.status_code == 200
    key = f"access-{world.offers['approval_required']}-{world.other_webmaster_id}"
    assert f'id="{key}"' in page.text
    text = page_text(page.text)
    assert "me too" in text and "Decline" in text and "Approve" in text
    assert 'aria-current="page">Moderation' in page.text  # the nav entry stays current


async def test_other_roles_are_refused(client: Client, world: World) -> None:
    for role in ("webmaster", "advertiser"):
        session = await browser(client, world, role)
        assert (await session.get("/ui/staff/moderation/access")).status_code == 403
        refused = await session.post(_path(world), {"decision": "approve", "reason": "ok"})
        assert refused.status_code == 403
    assert (await _state(world))[0] == "requested"


async def test_decline_needs_the_token_and_a_reason(client: Client, world: World) -> None:
    staff = await browser(client, world, "staff")
    form = {"decision": "decline", "reason": "Traffic sources do not fit the offer"}
    for token in (None, "forged"):
        assert (await staff.post(_path(world), form, csrf=token)).status_code == 403
    empty = await staff.post(_path(world), {**form, "reason": ""})
    assert empty.status_code == 422
    key = f"access-{world.offers['approval_required']}-{world.other_webmaster_id}"
    assert field_error(empty.text, f"reason-{key}") == "This field is required."
    assert (await _state(world))[0] == "requested"
    done = await staff.post(_path(world), form)
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/staff/moderation/access?done=staff_access_declined"
    assert await _state(world) == ("declined", "Traffic sources do not fit the offer")
    text = page_text((await staff.get(done.headers["location"])).text)
    assert "The access request was declined; the webmaster reads your reason." in text
    assert "No access requests are waiting." in text
    # Deciding again: the request is no longer open, said in words.
    again = await staff.post(_path(world), {"decision": "approve", "reason": "changed my mind"})
    assert again.status_code == 409


async def test_approve_with_a_reason(client: Client, world: World) -> None:
    admin = await browser(client, world, "network_admin")
    done = await admin.post(_path(world), {"decision": "approve", "reason": "Known partner"})
    assert done.status_code == 303
    assert await _state(world) == ("approved", "Known partner")
