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
from typing import Any
from zoneinfo import ZoneInfo

from network.audit import service as audit
from network.conversions import cache
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


def _label(cap: dict[str, object]) -> str:
    return f"{cap['metric']} {cap['period']}" + (" per webmaster" if cap["scope"] == "per_webmaster" else "")


async def reserve(
    *, tenant_id: int, offer_id: int, webmaster_id: int, payout: int, at: datetime, timezone: str
) -> str | None:
    """Reserve every conversion and budget cap of the offer; None if all fit, else the cap that is full
    (e.g. "conversions daily"), with nothing reserved. The reservation that fills a shared cap writes an
    audit row, which makes every click node rebuild its snapshot and send the offer's clicks to trafficback
    until the period ends (network/tracking/snapshot.py reads the usage)."""

    caps = await _caps(tenant_id, offer_id)
    done: list[Reservation] = []
    for cap in sorted(caps, key=lambda c: (c["metric"], c["period"], c["scope"])):
        amount = 1 if cap["metric"] == "conversions" else payout
        reservation = Reservation(
            cap["metric"],
            period_key(cap["period"], at, timezone),
            webmaster_id if cap["scope"] == "per_webmaster" else 0,
            amount,
        )
        taken = await _take(tenant_id, offer_id, reservation, int(cap["limit_value"]))
        if taken is None:
            for earlier in done:
                await _give_back(tenant_id, offer_id, earlier)
            return _label(cap)
        done.append(reservation)
        if taken >= int(cap["limit_value"]):
            await audit.record(
                network_id=tenant_id,
                actor=None,
                entity="offer",
                entity_id=offer_id,
                action="offer.cap_reached",
                after={
                    "cap": _label(cap),
                    "period": reservation.period_key,
                    "webmaster": reservation.webmaster,
                },
                reason=f"the {_label(cap)} cap is reached: clicks go to trafficback until the period ends",
            )
    return None


async def _caps(tenant_id: int, offer_id: int) -> list[dict[str, Any]]:
    """The offer's conversion and budget caps; cached on the postback path (conversions/cache.py)."""

    async def load() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await OfferCap.select().where(
            (OfferCap.network == tenant_id)
            & (OfferCap.offer == offer_id)
            & OfferCap.metric.is_in(["conversions", "budget"])
        )
        return rows

    return await cache.cached("caps", (tenant_id, offer_id), load)


async def defined(*, tenant_id: int, offer_id: int) -> bool:
    """Whether a conversion of the offer has caps to reserve."""
    return bool(await _caps(tenant_id, offer_id))


def _key(tenant_id: int, offer_id: int, r: Reservation):  # type: ignore[no-untyped-def]
    return (
        (CapUsage.network == tenant_id)
        & (CapUsage.offer == offer_id)
        & (CapUsage.metric == r.metric)
        & (CapUsage.period_key == r.period_key)
        & (CapUsage.webmaster == r.webmaster)
    )


async def _take(tenant_id: int, offer_id: int, r: Reservation, limit: int) -> int | None:
    """The new usage after taking ``r``, or None if it does not fit."""
    if r.amount > limit:
        return None
    await CapUsage.insert(
        CapUsage(
            network=tenant_id, offer=offer_id, metric=r.metric, period_key=r.period_key, webmaster=r.webmaster
        )
    ).on_conflict(action="DO NOTHING")
    rows = (
        await CapUsage.update({CapUsage.used: CapUsage.used + r.amount})
        .where(_key(tenant_id, offer_id, r) & (CapUsage.used <= limit - r.amount))
        .returning(CapUsage.used)
    )
    return int(rows[0]["used"]) if rows else None


async def _give_back(tenant_id: int, offer_id: int, r: Reservation) -> None:
    await CapUsage.update({CapUsage.used: CapUsage.used - r.amount}).where(_key(tenant_id, offer_id, r))


async def usage(*, tenant_id: int, at: datetime, timezone: str) -> dict[tuple[int, str, str, int], int]:
    """(offer, metric, period, webmaster) -> used, for the periods current at ``at``: what the click snapshot
    needs to send a capped offer's clicks to trafficback."""
    keys = {period_key(p, at, timezone): p for p in ("daily", "monthly", "total")}
    rows = await CapUsage.select().where(
        (CapUsage.network == tenant_id) & CapUsage.period_key.is_in(list(keys))
    )
    return {
        (int(r["offer"]), str(r["metric"]), keys[str(r["period_key"])], int(r["webmaster"])): int(r["used"])
        for r in rows
    }
