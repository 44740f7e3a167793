from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from network.http.auth import roles
from network.http.deps import PrincipalDep
from network.lists import service
from network.lists.schemas import ListEntryCreate, ListEntryOut, ListEntryRemove
from network.pagination import LimitParam, OffsetParam, Page
from network.principal import Role
from network.types import IdPath

A, S = Role.NETWORK_ADMIN, Role.STAFF
KindFilter = Annotated[str | None, QueryParameter(pattern=r"^(ip|sub|referrer_domain|webmaster)$")]


class TrafficListController(Controller):
    path = "/api/v1/traffic-lists"
    tags = ["fraud"]

    @get("/", operation_id="traffic_lists_list", opt=roles(A, S))
    async def list_entries(
        self,
        principal: PrincipalDep,
        kind: KindFilter = None,
        include_removed: FromQuery[bool] = False,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
    ) -> Page[ListEntryOut]:
        """The network's block and allow entries, newest first (active ones unless ``include_removed``)."""
        return await service.list_entries(
            principal, kind=kind, include_removed=include_removed, limit=limit, offset=offset
        )

    @post("/", operation_id="traffic_list_add", opt=roles(A, S), status_code=201)
    async def add(self, principal: PrincipalDep, data: JSONBody[ListEntryCreate]) -> ListEntryOut:
        """Block or allow an IP or CIDR, a sub id value, a referrer domain (and its subdomains) or a
        webmaster in the click fraud filter, with a reason. Applies on every click node within about a
        second; blocked clicks are still redirected but never billable. 409 if the same entry is active."""
        return await service.add(principal, data)

    @get("/{entry_id:int}", operation_id="traffic_list_get", opt=roles(A, S))
    async def get_entry(self, principal: PrincipalDep, entry_id: IdPath) -> ListEntryOut:
        return await service.get(principal, entry_id)

    @post("/{entry_id:int}/remove", operation_id="traffic_list_remove", opt=roles(A, S), status_code=200)
    async def remove(
        self, principal: PrincipalDep, entry_id: IdPath, data: JSONBody[ListEntryRemove]
    ) -> ListEntryOut:
        """Take an entry off its list, with a reason; it stays readable with ``include_removed``."""
        return await service.remove(principal, entry_id, data)
