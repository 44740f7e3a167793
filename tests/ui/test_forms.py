"""Forms: refused without the right CSRF token (nothing happens), done with it, and errors shown next to
the field they are about."""

from __future__ import annotations

import pytest

from network.accounts import service as accounts
from network.accounts.schemas import SignupIn
from network.accounts.tables import Webmaster
from network.conversions.tables import Conversion
from network.ledger.tables import Withdrawal
from network.offers import service as offers
from network.offers.schemas import Transition
from network.offers.tables import Offer
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, conversion, field_error, page_text

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only


async def _withdrawals(world: World) -> int:
    return int(await Withdrawal.count().where(Withdrawal.network == world.network_id))


async def test_withdrawal_needs_the_csrf_token(client: Client, world: World) -> None:
    await conversion(client, world, "WD-1")
    wm = await browser(client, world, "webmaster")
    form = {"amount": "4.00", "details": "IBAN DE00 1234"}
    for token in (None, "wrong-token", wm.csrf[:-1]):
        refused = await wm.post("/ui/wm/withdrawals", form, csrf=token)
        assert refused.status_code == 403, token
        assert "This form has expired or was sent from another site." in page_text(refused.text)
    assert await _withdrawals(world) == 0
    done = await wm.post("/ui/wm/withdrawals", form)
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/wm/balance?done=withdrawal_requested"
    assert await _withdrawals(world) == 1
    text = page_text((await wm.get(done.headers["location"])).text)
    assert "Your withdrawal request was received." in text
    assert "Available\n$6.00" in text and "Being paid out\n$4.00" in text
    assert "Requested" in text and "Withdrawal requested" in text


async def test_a_csrf_token_of_another_session_is_refused(client: Client, world: World) -> None:
    await conversion(client, world, "WD-2")
    wm = await browser(client, world, "webmaster")
    other = await browser(client, world, "webmaster")  # the same user, a second session
    assert (await wm.post("/ui/wm/withdrawals", {"amount": "1"}, csrf=other.csrf)).status_code == 403
    assert await _withdrawals(world) == 0


async def test_withdrawal_errors_are_shown_next_to_the_amount(client: Client, world: World) -> None:
    await conversion(client, world, "WD-3")
    wm = await browser(client, world, "webmaster")
    too_much = await wm.post("/ui/wm/withdrawals", {"amount": "1,000.00", "details": "card 4242"})
    assert too_much.status_code == 409
    assert field_error(too_much.text, "amount") == "Not enough money available: $10.00 can be withdrawn now."
    assert 'aria-invalid="true"' in too_much.text and 'aria-describedby="f-amount-help f-amount-error"' in (
        too_much.text
    )
    assert 'value="1,000.00"' in too_much.text and "card 4242" in too_much.text  # what was typed is kept
    empty = await wm.post("/ui/wm/withdrawals", {"amount": ""})
    assert empty.status_code == 422 and field_error(empty.text, "amount") == "This field is required."
    nonsense = await wm.post("/ui/wm/withdrawals", {"amount": "ten"})
    assert nonsense.status_code == 422 and field_error(nonsense.text, "amount") == "This value is not valid."
    zero = await wm.post("/ui/wm/withdrawals", {"amount": "0"})
    assert field_error(zero.text, "amount") == "Enter an amount greater than zero."
    assert await _withdrawals(world) == 0


async def _status(conversion_id: int) -> tuple[str, str, str]:
    row = await Conversion.select(Conversion.status, Conversion.reason, Conversion.reason_detail).where(
        Conversion.id == conversion_id
    )
    return row[0]["status"], row[0]["reason"], row[0]["reason_detail"]


async def test_advertiser_rejects_a_conversion_with_a_reason(client: Client, world: World) -> None:
    conversion_id = await conversion(client, world, "REJ-1", status="pending")
    assert (await _status(conversion_id))[0] == "pending"
    adv = await browser(client, world, "advertiser")
    page = await adv.get("/ui/adv/conversions")
    assert f'action="/ui/adv/conversions/{conversion_id}/decision"' in page.text
    path = f"/ui/adv/conversions/{conversion_id}/decision"
    form = {"to": "rejected", "reason": "duplicate_order", "comment": "Order cancelled", "status": "pending"}
    for token in (None, "forged"):
        assert (await adv.post(path, form, csrf=token)).status_code == 403
    assert (await _status(conversion_id))[0] == "pending"
    no_reason = await adv.post(path, {**form, "comment": ""})
    assert no_reason.status_code == 422
    assert field_error(no_reason.text, f"comment-{conversion_id}-rejected") == (
        "Write a reason: the other side reads it."
    )
    assert (await _status(conversion_id))[0] == "pending"
    done = await adv.post(path, form)
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/adv/conversions?status=pending&done=conversion_rejected"
    assert await _status(conversion_id) == ("rejected", "duplicate_order", "Order cancelled")
    assert "The conversion was rejected." in page_text((await adv.get(done.headers["location"])).text)
    # The webmaster reads the reason code and the advertiser's words.
    wm = await browser(client, world, "webmaster")
    text = page_text((await wm.get("/ui/wm/conversions")).text)
    assert "Rejected" in text and "Duplicate order" in text and "duplicate_order" in text
    assert "Order cancelled" in text


async def test_advertiser_approves_one_by_one(client: Client, world: World) -> None:
    first = await conversion(client, world, "APP-1", status="pending")
    second = await conversion(client, world, "APP-2", status="pending")
    adv = await browser(client, world, "advertiser")
    done = await adv.post(f"/ui/adv/conversions/{first}/decision", {"to": "approved", "status": "pending"})
    assert done.status_code == 303
    assert (await _status(first))[0] == "approved" and (await _status(second))[0] == "pending"
    # Deciding again is refused with a message, not a stack trace.
    again = await adv.post(f"/ui/adv/conversions/{first}/decision", {"to": "rejected", "comment": "late"})
    assert again.status_code == 409
    assert "This change is not possible from the current status." in page_text(again.text)


async def test_staff_moderate_offers_with_a_mandatory_reason(client: Client, world: World) -> None:
    offer_id = world.offers["draft"]
    await offers.transition(world.principals["advertiser"], offer_id, Transition(to="pending"))
    staff = await browser(client, world, "staff")
    path = f"/ui/staff/offers/{offer_id}/decision"
    assert (await staff.post(path, {"decision": "approve", "reason": "ok"}, csrf=None)).status_code == 403
    no_reason = await staff.post(path, {"decision": "approve", "reason": "  "})
    assert no_reason.status_code == 422
    assert field_error(no_reason.text, f"reason-offer-{offer_id}") == "This field is required."
    assert (await Offer.select(Offer.status).where(Offer.id == offer_id))[0]["status"] == "pending"
    done = await staff.post(path, {"decision": "approve", "reason": "Landing and terms checked"})
    assert done.status_code == 303 and done.headers["location"].endswith("done=offer_approved")
    assert (await Offer.select(Offer.status).where(Offer.id == offer_id))[0]["status"] == "active"
    text = page_text((await staff.get(done.headers["location"])).text)
    assert "The offer was approved and is now live." in text and "No offers are waiting." in text


async def test_staff_reject_a_pending_webmaster_with_a_reason(client: Client, world: World) -> None:
    hasher = client.app.state.hasher
    signed = await accounts.signup_webmaster(
        SignupIn(
            network=world.slug, email=f"new-{world.tag}@example.com", password="long-enough-pw", name="Newbie"
        ),
        hasher,
    )
    admin = await browser(client, world, "network_admin")
    assert "Newbie" in page_text((await admin.get("/ui/staff/moderation")).text)
    path = f"/ui/staff/webmasters/{signed.webmaster_id}/decision"
    refused = await admin.post(path, {"decision": "reject", "reason": ""})
    assert refused.status_code == 422
    done = await admin.post(path, {"decision": "reject", "reason": "Incentivised traffic only"})
    assert done.status_code == 303
    row = (await Webmaster.select().where(Webmaster.id == signed.webmaster_id))[0]
    assert (row["status"], row["status_reason"]) == ("banned", "Incentivised traffic only")


async def test_logout_needs_the_token_and_ends_the_session(client: Client, world: World) -> None:
    wm = await browser(client, world, "webmaster")
    assert (await wm.post("/ui/logout", {}, csrf=None)).status_code == 403
    assert (await wm.get("/ui/wm")).status_code == 200
    out = await wm.post("/ui/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/ui/login?done=logged_out"
    assert "cpanet_session=" in out.headers["set-cookie"]
    assert (await wm.get("/ui/wm")).status_code == 303  # the session is revoked on the server
