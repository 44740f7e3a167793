"""Every query of the audit context. There is deliberately no update or delete here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from network.audit.tables import AuditEntry


async def insert(
    *,
    network_id: int,
    actor_user_id: str,
    actor_role: str,
    entity: str,
    entity_id: str,
    action: str,
    before: str,
    after: str,
    reason: str,
) -> None:
    await AuditEntry.insert(
        AuditEntry(
            network=network_id,
            actor_user_id=actor_user_id,
            actor_role=actor_role,
            entity=entity,
            entity_id=entity_id,
            action=action,
            before=before,
            after=after,
            reason=reason,
        )
    )


async def page(
    *,
    tenant_id: int,
    entity: str | None,
    entity_id: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where: Any = AuditEntry.network == tenant_id
    if entity:
        where &= AuditEntry.entity == entity
    if entity_id:
        where &= AuditEntry.entity_id == entity_id
    if action:
        where &= AuditEntry.action == action
    if since:
        where &= AuditEntry.at >= since
    if until:
        where &= AuditEntry.at < until
    rows = (
        await AuditEntry.select()
        .where(where)
        .order_by(AuditEntry.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total = await AuditEntry.count().where(where)
    return rows, total
