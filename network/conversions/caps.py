"""Conversion and budget caps, reserved atomically in the conversion's own transaction.

A reservation is one conditional UPDATE (``used + n <= limit``): on PostgreSQL the row lock serialises
concurrent reservations and each re-checks the condition on the committed value; on SQLite the write
transaction is already exclusive. Budget caps count payout, in minor units of the offer currency. Periods are
days and months of the network's time zone. Caps count what was accepted; a later rejection does not free
the slot (incumbents behave the same, and it keeps caps monotonic for the click nodes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from network.conversions.tables import CapUsage
from network.offers.tables import OfferCap


@dataclass(frozen=True, slots=True)
class Reservation:
    metric: str
    period_key: str
    webmaster: int
    amount: int


def period_key(period: str, at: datetime, timezone: str) -> str:
    local = at.astimezone(ZoneInfo(timezone))
    if period == "daily":
        return f"d:{local:%Y-%m-%d}"
    if period == "monthly":
        return f"m:{local:%Y-%m}"
    return "total"


async def reserve(
    *, tenant_id: int, offer_id: int, webmaster_id: int, payout: int, at: datetime, timezone: str
) -> str | None:
    """Reserve every conversion and budget cap of the offer; None if all fit, else the cap that is full
    (e.g. "conversions daily"), with nothing reserved."""
    caps = await OfferCap.select().where(
        (OfferCap.network == tenant_id)
        & (OfferCap.offer == offer_id)
        & OfferCap.metric.is_in(["conversions", "budget"])
    )
    done: list[Reservation] = []
    for cap in sorted(caps, key=lambda c: (c["metric"], c["period"], c["scope"])):
        amount = 1 if cap["metric"] == "conversions" else payout
        reservation = Reservation(
            cap["metric"],
            period_key(cap["period"], at, timezone),
            webmaster_id if cap["scope"] == "per_webmaster" else 0,
            amount,
        )
        if not await _take(tenant_id, offer_id, reservation, int(cap["limit_value"])):
            for earlier in done:
                await _give_back(tenant_id, offer_id, earlier)
            return f"{cap['metric']} {cap['period']}" + (
                " per webmaster" if cap["scope"] == "per_webmaster" else ""
            )
        done.append(reservation)
    return None


def _key(tenant_id: int, offer_id: int, r: Reservation):  # type: ignore[no-untyped-def]
    return (
        (CapUsage.network == tenant_id)
        & (CapUsage.offer == offer_id)
        & (CapUsage.metric == r.metric)
        & (CapUsage.period_key == r.period_key)
        & (CapUsage.webmaster == r.webmaster)
    )


async def _take(tenant_id: int, offer_id: int, r: Reservation, limit: int) -> bool:
    if r.amount > limit:
        return False
    await CapUsage.insert(
        CapUsage(
            network=tenant_id, offer=offer_id, metric=r.metric, period_key=r.period_key, webmaster=r.webmaster
        )
    ).on_conflict(action="DO NOTHING")
    rows = (
        await CapUsage.update({CapUsage.used: CapUsage.used + r.amount})
        .where(_key(tenant_id, offer_id, r) & (CapUsage.used <= limit - r.amount))
        .returning(CapUsage.id)
    )
    return bool(rows)


async def _give_back(tenant_id: int, offer_id: int, r: Reservation) -> None:
    await CapUsage.update({CapUsage.used: CapUsage.used - r.amount}).where(_key(tenant_id, offer_id, r))


async def used(*, tenant_id: int, offer_ids: list[int], period_keys: list[str]) -> list[dict[str, object]]:
    """Current usage rows, for the click snapshot (a full conversion cap sends clicks to trafficback)."""
    if not offer_ids:
        return []
    rows: list[dict[str, object]] = await CapUsage.select().where(
        (CapUsage.network == tenant_id)
        & CapUsage.offer.is_in(offer_ids)
        & CapUsage.period_key.is_in(period_keys)
    )
    return rows
