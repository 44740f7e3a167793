"""Every query of the offers context; tenant_id is always a required keyword."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from network.offers.tables import Goal, Landing, Offer, OfferAccess, OfferCap, PromoMaterial

Row = dict[str, Any]
ChildTable = type[Goal] | type[Landing] | type[PromoMaterial] | type[OfferCap]
CHILDREN: tuple[ChildTable, ...] = (
    Goal,
    Landing,
    PromoMaterial,
    OfferCap,
)


async def offer(*, tenant_id: int, offer_id: int) -> Row | None:
    row: Row | None = (
        await Offer.select().where((Offer.network == tenant_id) & (Offer.id == offer_id)).first()
    )
    return row


async def children(*, tenant_id: int, offer_id: int) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for table in CHILDREN:
        out[table._meta.tablename] = (
            await table.select()
            .where((table.network == tenant_id) & (table.offer == offer_id))
            .order_by(table.id)
        )
    return out


async def insert_offer(*, tenant_id: int, values: dict[str, Any]) -> int:
    rows = await Offer.insert(Offer(network=tenant_id, **values)).returning(Offer.id)
    return int(rows[0]["id"])


async def update_offer(*, tenant_id: int, offer_id: int, values: dict[str, Any]) -> None:
    values = {**values, "updated_at": datetime.now(UTC)}
    await Offer.update({getattr(Offer, k): v for k, v in values.items()}).where(
        (Offer.network == tenant_id) & (Offer.id == offer_id)
    )


async def replace_children(
    *,
    tenant_id: int,
    offer_id: int,
    table: type[Goal] | type[Landing] | type[PromoMaterial] | type[OfferCap],
    rows: list[dict[str, Any]],
) -> None:
    # Children are configuration, not money or clicks: replacing is safe; the audit row keeps the old ones.
    await table.delete().where((table.network == tenant_id) & (table.offer == offer_id))
    if rows:
        new_rows: list[Any] = [table(network=tenant_id, offer=offer_id, **r) for r in rows]
        await table.insert(*new_rows)


async def offers_page(
    *,
    tenant_id: int,
    advertiser_id: int | None,
    statuses: list[str] | None,
    visibilities: list[str] | None,
    category: str | None,
    search: str | None,
    only_ids: list[int] | None,
    exclude_private_except: list[int] | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    where: Any = Offer.network == tenant_id
    if advertiser_id is not None:
        where &= Offer.advertiser == advertiser_id
    if statuses:
        where &= Offer.status.is_in(statuses)
    if visibilities:
        where &= Offer.visibility.is_in(visibilities)
    if category:
        where &= Offer.category == category
    if search:
        # User wildcards become single-character matches: a search can never widen into "match all".
        pattern = "%" + search.replace("\\", "_").replace("%", "_") + "%"
        # SQLite's LIKE is already case-insensitive for ASCII; piccolo warns on ilike there.
        if Offer._meta.db.engine_type == "sqlite":
            where &= Offer.name.like(pattern)
        else:
            where &= Offer.name.ilike(pattern)
    if only_ids is not None:
        where &= Offer.id.is_in(only_ids or [-1])
    if exclude_private_except is not None:
        where &= (Offer.visibility != "private") | Offer.id.is_in(exclude_private_except or [-1])
    rows = await Offer.select().where(where).order_by(Offer.id).limit(limit).offset(offset)
    return rows, await Offer.count().where(where)


async def access(*, tenant_id: int, offer_id: int, webmaster_id: int) -> Row | None:
    row: Row | None = (
        await OfferAccess.select()
        .where(
            (OfferAccess.network == tenant_id)
            & (OfferAccess.offer == offer_id)
            & (OfferAccess.webmaster == webmaster_id)
        )
        .first()
    )
    return row


async def upsert_access(
    *,
    tenant_id: int,
    offer_id: int,
    webmaster_id: int,
    status: str,
    reason: str = "",
    message: str | None = None,
) -> None:
    existing = await access(tenant_id=tenant_id, offer_id=offer_id, webmaster_id=webmaster_id)
    now = datetime.now(UTC)
    if existing is None:
        await OfferAccess.insert(
            OfferAccess(
                network=tenant_id,
                offer=offer_id,
                webmaster=webmaster_id,
                status=status,
                reason=reason,
                message=message or "",
            )
        )
        return
    values: dict[Any, Any] = {
        OfferAccess.status: status,
        OfferAccess.reason: reason,
        OfferAccess.updated_at: now,
    }
    if message is not None:
        values[OfferAccess.message] = message
    await OfferAccess.update(values).where(
        (OfferAccess.network == tenant_id) & (OfferAccess.id == existing["id"])
    )


async def access_for_offer(
    *, tenant_id: int, offer_id: int, status: str | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    where: Any = (OfferAccess.network == tenant_id) & (OfferAccess.offer == offer_id)
    if status:
        where &= OfferAccess.status == status
    rows = await OfferAccess.select().where(where).order_by(OfferAccess.id).limit(limit).offset(offset)
    return rows, await OfferAccess.count().where(where)


async def access_for_webmaster(*, tenant_id: int, webmaster_id: int) -> list[Row]:
    rows: list[Row] = (
        await OfferAccess.select()
        .where((OfferAccess.network == tenant_id) & (OfferAccess.webmaster == webmaster_id))
        .order_by(OfferAccess.offer)
    )
    return rows
