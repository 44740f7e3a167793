"""Every smartlink query of the tracking context; tenant_id is always a required keyword."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from network.tracking.tables import Smartlink, SmartlinkOffer

Row = dict[str, Any]


async def smartlink(*, tenant_id: int, smartlink_id: int) -> Row | None:
    row: Row | None = (
        await Smartlink.select()
        .where((Smartlink.network == tenant_id) & (Smartlink.id == smartlink_id))
        .first()
    )
    return row


async def smartlinks_page(
    *,
    tenant_id: int,
    webmaster_id: int | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    """A page of the network's smartlinks; with ``webmaster_id``, only that webmaster's and the network's."""
    where: Any = Smartlink.network == tenant_id
    if webmaster_id is not None:
        where &= (Smartlink.webmaster == webmaster_id) | Smartlink.webmaster.is_null()
    if status:
        where &= Smartlink.status == status
    rows = await Smartlink.select().where(where).order_by(Smartlink.id).limit(limit).offset(offset)
    return rows, await Smartlink.count().where(where)


async def entries(*, tenant_id: int, smartlink_ids: list[int]) -> dict[int, list[Row]]:
    """Each smartlink's offers in their order, with the offer's name and status."""
    out: dict[int, list[Row]] = defaultdict(list)
    if not smartlink_ids:
        return out
    rows = (
        await SmartlinkOffer.select(
            SmartlinkOffer.smartlink,
            SmartlinkOffer.offer,
            SmartlinkOffer.weight,
            SmartlinkOffer.offer.name.as_alias("offer_name"),
            SmartlinkOffer.offer.status.as_alias("offer_status"),
        )
        .where((SmartlinkOffer.network == tenant_id) & SmartlinkOffer.smartlink.is_in(smartlink_ids))
        .order_by(SmartlinkOffer.smartlink)
        .order_by(SmartlinkOffer.position)
    )
    for row in rows:
        out[int(row["smartlink"])].append(row)
    return out


async def active_entries(*, tenant_id: int) -> dict[int, list[tuple[int, int]]]:
    """``smartlink id -> [(offer id, weight), ...]`` of the network's active smartlinks, for the snapshot."""
    rows = (
        await SmartlinkOffer.select(SmartlinkOffer.smartlink, SmartlinkOffer.offer, SmartlinkOffer.weight)
        .where(
            (SmartlinkOffer.network == tenant_id)
            & (SmartlinkOffer.smartlink.status == "active")
            & (SmartlinkOffer.smartlink.network == tenant_id)
        )
        .order_by(SmartlinkOffer.smartlink)
        .order_by(SmartlinkOffer.position)
    )
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in rows:
        out[int(row["smartlink"])].append((int(row["offer"]), int(row["weight"])))
    return out


async def insert_smartlink(*, tenant_id: int, webmaster_id: int | None, name: str, status: str) -> int:
    rows = await Smartlink.insert(
        Smartlink(network=tenant_id, webmaster=webmaster_id, name=name, status=status)
    ).returning(Smartlink.id)
    return int(rows[0]["id"])


async def update_smartlink(*, tenant_id: int, smartlink_id: int, values: dict[str, Any]) -> None:
    values = {**values, "updated_at": datetime.now(UTC)}
    await Smartlink.update({getattr(Smartlink, k): v for k, v in values.items()}).where(
        (Smartlink.network == tenant_id) & (Smartlink.id == smartlink_id)
    )


async def replace_entries(*, tenant_id: int, smartlink_id: int, offers: list[tuple[int, int]]) -> None:
    # Configuration, not history: the audit row keeps the old list.
    await SmartlinkOffer.delete().where(
        (SmartlinkOffer.network == tenant_id) & (SmartlinkOffer.smartlink == smartlink_id)
    )
    if offers:
        await SmartlinkOffer.insert(
            *[
                SmartlinkOffer(
                    network=tenant_id, smartlink=smartlink_id, offer=offer_id, weight=weight, position=i
                )
                for i, (offer_id, weight) in enumerate(offers)
            ]
        )
