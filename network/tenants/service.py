"""Networks (tenants): created by the operator from the CLI, configured by their network admin."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from network.audit import service as audit
from network.errors import ConflictError, NotFoundError, ValidationError
from network.principal import Principal
from network.tenants import repository
from network.tenants.schemas import NetworkOut, NetworkUpdate
from network.tracking.storage import rebuild_daily
from network.transaction import atomic
from network.validation import check_tracking_host, check_url


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin") from exc
    return name


def to_out(row: dict[str, Any]) -> NetworkOut:
    return NetworkOut(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        tracking_host=row["tracking_host"],
        timezone=row["timezone"],
        currency=row["currency"],
        trafficback_url=row["trafficback_url"],
    )


async def create_network(
    *, slug: str, name: str, tracking_host: str, timezone: str = "UTC", currency: str = "USD"
) -> int:
    host = check_tracking_host(tracking_host, field="tracking_host")
    _check_timezone(timezone)
    if await repository.by_slug(slug):
        raise ConflictError(f"a network with slug {slug!r} exists")
    if await repository.by_tracking_host(host):
        raise ConflictError(f"tracking host {host!r} is already used by another network")
    async with atomic():
        network_id = await repository.insert(
            slug=slug, name=name, tracking_host=host, timezone=timezone, currency=currency
        )
        await audit.record(
            network_id=network_id,
            actor=None,
            entity="network",
            entity_id=network_id,
            action="network.created",
            after={"slug": slug, "name": name, "tracking_host": host},
        )
    return network_id


async def get_network(principal: Principal) -> NetworkOut:
    row = await repository.get(tenant_id=principal.network_id)
    if row is None:
        raise NotFoundError("network not found")
    return to_out(row)


async def update_network(principal: Principal, data: NetworkUpdate) -> NetworkOut:
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    if "tracking_host" in changes:
        changes["tracking_host"] = check_tracking_host(changes["tracking_host"], field="tracking_host")
        other = await repository.by_tracking_host(changes["tracking_host"])
        if other and other["id"] != principal.network_id:
            raise ConflictError("that tracking host is already used by another network")
    if "timezone" in changes:
        _check_timezone(changes["timezone"])
    if changes.get("trafficback_url"):
        check_url(changes["trafficback_url"], field="trafficback_url")
    async with atomic():
        row = await repository.get(tenant_id=principal.network_id)
        if row is None:
            raise NotFoundError("network not found")
        before, after = audit.changes(row, changes)
        if after:
            await repository.update(tenant_id=principal.network_id, values=changes)
            if "timezone" in after:
                # The daily click rollup is keyed by local day: re-sum it from the hourly one (docs/stats.md).
                await rebuild_daily(principal.network_id)
            await audit.record(
                network_id=principal.network_id,
                actor=principal,
                entity="network",
                entity_id=principal.network_id,
                action="network.updated",
                before=before,
                after=after,
            )
    return await get_network(principal)
