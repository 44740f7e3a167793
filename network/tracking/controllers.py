from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import JSONBody, QueryParameter

from network.http.auth import roles
from network.http.deps import PrincipalDep, SettingsDep
from network.pagination import LimitParam, OffsetParam, Page
from network.principal import Role
from network.tracking import smartlinks
from network.tracking.schemas import SmartlinkCreate, SmartlinkOut, SmartlinkUpdate
from network.types import IdPath

# Advertisers do not send traffic, so smartlinks are not theirs to see.
A, S, WM = Role.NETWORK_ADMIN, Role.STAFF, Role.WEBMASTER


class SmartlinkController(Controller):
    path = "/api/v1/smartlinks"
    tags = ["smartlinks"]

    @post("/", operation_id="smartlink_create", opt=roles(A, S, WM), status_code=201)
    async def create(
        self, principal: PrincipalDep, data: JSONBody[SmartlinkCreate], settings: SettingsDep
    ) -> SmartlinkOut:
        """A smartlink over 1-50 weighted offers. Staff make the network's (every webmaster may use it); a
        webmaster makes their own, over offers they have joined."""
        return await smartlinks.create(principal, data, settings.http.public_base_url)

    @get("/", operation_id="smartlinks_list", opt=roles(A, S, WM))
    async def list_smartlinks(
        self,
        principal: PrincipalDep,
        settings: SettingsDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        status: Annotated[str | None, QueryParameter(pattern=r"^(active|paused)$")] = None,
    ) -> Page[SmartlinkOut]:
        """Staff see every smartlink of the network; a webmaster sees the network's and their own."""
        base = settings.http.public_base_url
        return await smartlinks.list_smartlinks(
            principal, status=status, limit=limit, offset=offset, public_base_url=base
        )

    @get("/{smartlink_id:int}", operation_id="smartlink_get", opt=roles(A, S, WM))
    async def get_smartlink(
        self, principal: PrincipalDep, smartlink_id: IdPath, settings: SettingsDep
    ) -> SmartlinkOut:
        return await smartlinks.get(principal, smartlink_id, settings.http.public_base_url)

    @patch("/{smartlink_id:int}", operation_id="smartlink_update", opt=roles(A, S, WM))
    async def update(
        self,
        principal: PrincipalDep,
        smartlink_id: IdPath,
        data: JSONBody[SmartlinkUpdate],
        settings: SettingsDep,
    ) -> SmartlinkOut:
        """Rename, pause or resume, or replace the offers and weights. A webmaster edits their own
        smartlinks; the network's are edited by staff."""
        return await smartlinks.update(principal, smartlink_id, data, settings.http.public_base_url)
