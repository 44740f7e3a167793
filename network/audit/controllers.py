from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from network import jsoncol
from network.audit import repository
from network.audit.schemas import AuditOut
from network.http.auth import roles
from network.http.deps import PrincipalDep
from network.pagination import LimitParam, OffsetParam, Page
from network.principal import Role

Short = Annotated[str | None, QueryParameter(max_length=64)]


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/", operation_id="audit_list", opt=roles(Role.NETWORK_ADMIN, Role.STAFF))
    async def list_entries(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        entity: Short = None,
        entity_id: Short = None,
        action: Short = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
    ) -> Page[AuditOut]:
        """The append-only audit log of this network, newest first."""
        rows, total = await repository.page(
            tenant_id=principal.network_id,
            entity=entity,
            entity_id=entity_id,
            action=action,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        items = [
            AuditOut(
                id=r["id"],
                at=r["at"],
                actor_user_id=r["actor_user_id"],
                actor_role=r["actor_role"],
                entity=r["entity"],
                entity_id=r["entity_id"],
                action=r["action"],
                before=jsoncol.load(r["before"]),
                after=jsoncol.load(r["after"]),
                reason=r["reason"],
            )
            for r in rows
        ]
        return Page(items, total, limit, offset)
