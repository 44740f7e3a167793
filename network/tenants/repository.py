from __future__ import annotations

from typing import Any

from network.tenants.tables import Network


async def get(*, tenant_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await Network.select().where(Network.id == tenant_id).first()
    return row


async def by_slug(slug: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await Network.select().where(Network.slug == slug).first()
    return row


async def by_tracking_host(host: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await Network.select().where(Network.tracking_host == host).first()
    return row


async def insert(*, slug: str, name: str, tracking_host: str, timezone: str, currency: str) -> int:
    rows = await Network.insert(
        Network(slug=slug, name=name, tracking_host=tracking_host, timezone=timezone, currency=currency)
    ).returning(Network.id)
    return int(rows[0]["id"])


async def update(*, tenant_id: int, values: dict[str, Any]) -> None:
    await Network.update({getattr(Network, k): v for k, v in values.items()}).where(Network.id == tenant_id)
