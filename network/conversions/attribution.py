"""Which click, webmaster and terms version a conversion belongs to.

In order: the click id; a coupon or promo code assigned to a webmaster; a lead the webmaster registered in
advance (a customer id or an e-mail SHA-256); the returning visitor's cookie (image pixel). A click id that
is well formed and recent but not stored yet is still in the click pipeline: the postback is queued, not
guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from network.conversions.dialects import PostbackInput
from network.conversions.tables import Coupon, Lead
from network.offers.tables import Offer
from network.terms import service as terms
from network.tracking.clickid import ALPHABET, LENGTH, click_id_time
from network.tracking.tables import Click

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Attributed:
    method: str
    offer: Row
    webmaster_id: int
    click: Row | None
    click_at: datetime
    terms_version: int | None


class NotAttributed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ClickNotStoredYet(Exception):
    """The click id is recent and well formed: its click is probably still on its way to storage."""


def plausible_click_id(click_id: str) -> bool:
    return len(click_id) == LENGTH and all(c in ALPHABET for c in click_id)


async def _offer(tenant_id: int, advertiser_id: int, offer_id: int | None) -> Row:
    if offer_id is None:
        raise NotAttributed("unknown_offer", "offer_id is required to attribute by coupon, lead or cookie")
    row: Row | None = (
        await Offer.select().where((Offer.network == tenant_id) & (Offer.id == offer_id)).first()
    )
    if row is None or int(row["advertiser"]) != advertiser_id:
        raise NotAttributed("unknown_offer", f"offer {offer_id} is not one of this advertiser's offers")
    return row


def _offer_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


async def attribute(
    *, tenant_id: int, advertiser_id: int, data: PostbackInput, visitor_id: str, now: datetime, grace: int
) -> Attributed:
    if data.click_id:
        return await _by_click(tenant_id, advertiser_id, data.click_id, now, grace)
    offer_id = _offer_id(data.offer_id)
    if data.coupon:
        offer = await _offer(tenant_id, advertiser_id, offer_id)
        coupon = (
            await Coupon.select()
            .where(
                (Coupon.network == tenant_id)
                & (Coupon.offer == offer["id"])
                & (Coupon.code == data.coupon.upper())
                & Coupon.revoked_at.is_null()
            )
            .first()
        )
        if coupon is None:
            raise NotAttributed("unknown_coupon", f"coupon {data.coupon!r} is not assigned to a webmaster")
        webmaster = int(coupon["webmaster"])
        version = await terms.pin(tenant_id=tenant_id, offer_id=offer["id"], webmaster_id=webmaster, at=now)
        return Attributed("coupon", offer, webmaster, None, now, version)
    if data.lead:
        offer = await _offer(tenant_id, advertiser_id, offer_id)
        lead = (
            await Lead.select()
            .where(
                (Lead.network == tenant_id)
                & (Lead.offer == offer["id"])
                & (Lead.lead_key == data.lead.lower())
            )
            .first()
        )
        if lead is None:
            raise NotAttributed("unknown_lead", "no webmaster registered this lead in advance")
        webmaster = int(lead["webmaster"])
        registered = lead["created_at"]
        version = await terms.pin(
            tenant_id=tenant_id, offer_id=offer["id"], webmaster_id=webmaster, at=registered
        )
        return Attributed("lead", offer, webmaster, None, registered, version)
    if visitor_id:
        offer = await _offer(tenant_id, advertiser_id, offer_id)
        window = now - timedelta(days=int(offer["attribution_window_days"]))
        click: Row | None = (
            await Click.select()
            .where(
                (Click.network == tenant_id)
                & (Click.visitor_id == visitor_id)
                & (Click.offer == offer["id"])
                & (Click.created_at >= window)
            )
            .order_by(Click.created_at, ascending=False)
            .first()
        )
        if click is None:
            raise NotAttributed("unknown_click", "this visitor has no click on the offer within its window")
        return _from_click(offer, click, "cookie")
    raise NotAttributed("unknown_click", "the postback names no click id, coupon, lead or visitor")


def _from_click(offer: Row, click: Row, method: str) -> Attributed:
    return Attributed(
        method,
        offer,
        int(click["webmaster"]),
        click,
        click["created_at"],
        None if click["terms_version"] is None else int(click["terms_version"]),
    )


async def _find_click(tenant_id: int, click_id: str) -> Row | None:
    """The click, looked up first around the time its id encodes: on PostgreSQL the clicks table is
    partitioned by day, and the time range lets the planner probe one partition instead of all of them."""
    where = (Click.network == tenant_id) & (Click.click_id == click_id)
    if plausible_click_id(click_id):
        born = datetime.fromtimestamp(click_id_time(click_id), UTC)
        window = timedelta(seconds=60)
        near: Row | None = (
            await Click.select()
            .where(where & (Click.created_at >= born - window) & (Click.created_at <= born + window))
            .first()
        )
        if near is not None:
            return near
    found: Row | None = await Click.select().where(where).first()
    return found


async def _by_click(
    tenant_id: int, advertiser_id: int, click_id: str, now: datetime, grace: int
) -> Attributed:
    click = await _find_click(tenant_id, click_id)
    if click is None:
        if plausible_click_id(click_id):
            born = datetime.fromtimestamp(click_id_time(click_id), UTC)
            if now - timedelta(seconds=grace) <= born <= now + timedelta(seconds=60):
                raise ClickNotStoredYet(click_id)
        raise NotAttributed("unknown_click", f"no click {click_id!r} in this network")
    if click["offer"] is None or click["is_trafficback"]:
        raise NotAttributed("unknown_click", "the click went to trafficback, not to an offer")
    offer: Row | None = (
        await Offer.select().where((Offer.network == tenant_id) & (Offer.id == click["offer"])).first()
    )
    if offer is None or int(offer["advertiser"]) != advertiser_id:
        raise NotAttributed("unknown_click", f"no click {click_id!r} on this advertiser's offers")
    return _from_click(offer, click, "click_id")
