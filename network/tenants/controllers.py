from __future__ import annotations

from litestar import Controller, get, patch
from litestar.params import JSONBody

from network.http.auth import roles
from network.http.deps import PrincipalDep
from network.principal import Role
from network.tenants import service
from network.tenants.schemas import NetworkOut, NetworkUpdate


class NetworkController(Controller):
    path = "/api/v1/network"
    tags = ["network"]

    @get("/", operation_id="network_get")
    async def get_network(self, principal: PrincipalDep) -> NetworkOut:
        """The caller's network: name, tracking host, time zone and currency."""
        return await service.get_network(principal)

    @patch("/", operation_id="network_update", opt=roles(Role.NETWORK_ADMIN))
    async def update(self, principal: PrincipalDep, data: JSONBody[NetworkUpdate]) -> NetworkOut:
        return await service.update_network(principal, data)
