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

from network import jsoncol
from network.conversions import cache, pg
from network.conversions.dialects import PostbackInput
from network.conversions.tables import Coupon, Lead
from network.ledger import accounts
from network.offers.tables import Offer
from network.terms import service as terms
from network.tracking.clickid import ALPHABET, LENGTH, click_id_time
from network.tracking.tables import Click

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Prefetched:
    """Read in one statement before anything else (PostgreSQL): the cache generation, the advertiser's
    prepaid balances per currency (for the balance gate) and the click, if stored within a minute of the
    time its id encodes (None: look further)."""

    generation: int
    prepaid: dict[str, int]
    click: Row | None
    # The id the conversion will have (taken from its sequence when the click was found, as an INSERT would).
    conversion_id: int | None


PREFETCH_SQL = """
SELECT g."generation" AS "_cpanet_generation",
       (SELECT coalesce(json_object_agg(s."currency", s."total"), '{}')::text
        FROM (SELECT "currency", SUM("balance") AS "total" FROM "account_balance"
              WHERE "network" = $1 AND "account" = $2 GROUP BY "currency") s) AS "_cpanet_prepaid",
       CASE WHEN c."id" IS NOT NULL THEN nextval(pg_get_serial_sequence('conversion', 'id'))
       END AS "_cpanet_conversion_id",
       c.*
FROM "postback_cache_generation" g
LEFT JOIN LATERAL (
    SELECT * FROM "click"
    WHERE "network" = $1 AND "click_id" = $3 AND "created_at" >= $4 AND "created_at" <= $5
    LIMIT 1
) c ON true
WHERE g."id" = 1
"""


async def prefetch(*, tenant_id: int, advertiser_id: int, click_id: str) -> Prefetched | None:
    """The postback's first reads in one round trip, for a well-formed click id on PostgreSQL; None
    elsewhere (the caller then reads them one by one)."""
    if not plausible_click_id(click_id):
        return None
    born = datetime.fromtimestamp(click_id_time(click_id), UTC)
    window = timedelta(seconds=60)
    ran, row = await pg.fetchrow(
        PREFETCH_SQL, tenant_id, accounts.adv_prepaid(advertiser_id), click_id, born - window, born + window
    )
    if not ran or row is None:
        return None
    generation = int(row.pop("_cpanet_generation"))
    prepaid = {str(k): int(v) for k, v in jsoncol.load(row.pop("_cpanet_prepaid")).items()}
    conversion_id = row.pop("_cpanet_conversion_id")
    click = row if row.get("id") is not None else None
    return Prefetched(generation, prepaid, click, None if conversion_id is None else int(conversion_id))


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
    row = await offer_row(tenant_id, offer_id)
    if row is None or int(row["advertiser"]) != advertiser_id:
        raise NotAttributed("unknown_offer", f"offer {offer_id} is not one of this advertiser's offers")
    return row


async def offer_row(tenant_id: int, offer_id: int) -> Row | None:
    """The offer, cached on the postback path (conversions/cache.py); callers must not change it."""

    async def load() -> Row | None:
        row: Row | None = (
            await Offer.select().where((Offer.network == tenant_id) & (Offer.id == offer_id)).first()
        )
        return row

    return await cache.cached("offer", (tenant_id, offer_id), load)


def _offer_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


async def attribute(
    *,
    tenant_id: int,
    advertiser_id: int,
    data: PostbackInput,
    visitor_id: str,
    now: datetime,
    grace: int,
    prefetched: Prefetched | None = None,
) -> Attributed:
    if data.click_id:
        return await _by_click(tenant_id, advertiser_id, data.click_id, now, grace, prefetched)
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


CLICK_SQL = 'SELECT * FROM "click" WHERE "network" = $1 AND "click_id" = $2 LIMIT 1'
CLICK_NEAR_SQL = (
    'SELECT * FROM "click" WHERE "network" = $1 AND "click_id" = $2 AND "created_at" >= $3 '
    'AND "created_at" <= $4 LIMIT 1'
)


async def _find_click(tenant_id: int, click_id: str, prefetched: Prefetched | None = None) -> Row | None:
    """The click, looked up first around the time its id encodes: on PostgreSQL the clicks table is
    partitioned by day, and the time range lets the planner probe one partition instead of all of them.
    ``prefetched``: that first lookup is done already."""
    where = (Click.network == tenant_id) & (Click.click_id == click_id)
    if prefetched is not None:
        if prefetched.click is not None:
            return prefetched.click
        ran, row = await pg.fetchrow(CLICK_SQL, tenant_id, click_id)
        if ran:
            return row
    elif plausible_click_id(click_id):
        born = datetime.fromtimestamp(click_id_time(click_id), UTC)
        window = timedelta(seconds=60)
        # PostgreSQL: the same query as fixed SQL (no query building per postback).
        ran, row = await pg.fetchrow(CLICK_NEAR_SQL, tenant_id, click_id, born - window, born + window)
        if ran:
            return row if row is not None else (await pg.fetchrow(CLICK_SQL, tenant_id, click_id))[1]
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
    tenant_id: int,
    advertiser_id: int,
    click_id: str,
    now: datetime,
    grace: int,
    prefetched: Prefetched | None,
) -> Attributed:
    click = await _find_click(tenant_id, click_id, prefetched)
    if click is None:
        if plausible_click_id(click_id):
            born = datetime.fromtimestamp(click_id_time(click_id), UTC)
            if now - timedelta(seconds=grace) <= born <= now + timedelta(seconds=60):
                raise ClickNotStoredYet(click_id)
        raise NotAttributed("unknown_click", f"no click {click_id!r} in this network")
    if click["offer"] is None or click["is_trafficback"]:
        raise NotAttributed("unknown_click", "the click went to trafficback, not to an offer")
    offer = await offer_row(tenant_id, int(click["offer"]))
    if offer is None or int(offer["advertiser"]) != advertiser_id:
        raise NotAttributed("unknown_click", f"no click {click_id!r} on this advertiser's offers")
    return _from_click(offer, click, "click_id")
