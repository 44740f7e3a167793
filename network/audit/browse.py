"""Reading the audit log for people: filtered by entity and by actor (user or role), newest first, each row
decoded, always inside the reader's own network. Staff and network admins only, as the API's audit list."""

from __future__ import annotations

from typing import Any

from network import jsoncol
from network.audit.schemas import AuditOut
from network.audit.tables import AuditEntry
from network.errors import PermissionDeniedError
from network.pagination import Page
from network.principal import Principal


async def entries(
    principal: Principal,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_user_id: str | None = None,
    actor_role: str | None = None,
    action: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[AuditOut]:
    if not principal.is_staff:
        raise PermissionDeniedError("only staff can read the audit log")
    where: Any = AuditEntry.network == principal.network_id
    if entity:
        where &= AuditEntry.entity == entity
    if entity_id:
        where &= AuditEntry.entity_id == entity_id
    if actor_user_id:
        where &= AuditEntry.actor_user_id == actor_user_id
    if actor_role:
        where &= AuditEntry.actor_role == actor_role
    if action:
        where &= AuditEntry.action == action
    rows = (
        await AuditEntry.select()
        .where(where)
        .order_by(AuditEntry.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total = await AuditEntry.count().where(where)
    items = [
        AuditOut(
            id=r["id"],
            at=r["at"],
            actor_user_id=r["actor_user_id"],
            actor_role=r["actor_role"],
            entity=r["entity"],
            entity_id=r["entity_id"],
            action=r["action"],
            before=jsoncol.load(r["before"]) or {},
            after=jsoncol.load(r["after"]) or {},
            reason=r["reason"],
        )
        for r in rows
    ]
    return Page(items, int(total), limit, offset)
