from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import JSONBody, QueryParameter

from network.http.auth import roles
from network.http.deps import PrincipalDep
from network.outgoing import service
from network.outgoing.schemas import DeliveryOut, EndpointIn, EndpointOut, EndpointUpdate
from network.pagination import LimitParam, OffsetParam, Page
from network.principal import Role
from network.types import IdPath

A, S, WM = Role.NETWORK_ADMIN, Role.STAFF, Role.WEBMASTER


class PostbackEndpointController(Controller):
    path = "/api/v1/postback-endpoints"
    tags = ["outgoing postbacks"]

    @post("/", operation_id="postback_endpoints_create", opt=roles(WM), status_code=201)
    async def create(self, principal: PrincipalDep, data: JSONBody[EndpointIn]) -> EndpointOut:
        """A postback URL (global, or for one offer) with macros and status/goal filters. The URL must reach a
        public address. The signing secret is shown once."""
        return await service.create(principal, data)

    @get("/", operation_id="postback_endpoints_list", opt=roles(A, S, WM))
    async def list_endpoints(self, principal: PrincipalDep) -> list[EndpointOut]:
        return await service.list_endpoints(principal)

    @patch("/{endpoint_id:int}", operation_id="postback_endpoints_update", opt=roles(WM))
    async def update(
        self, principal: PrincipalDep, endpoint_id: IdPath, data: JSONBody[EndpointUpdate]
    ) -> EndpointOut:
        """Change the URL or filters, or enable a paused endpoint again."""
        return await service.update(principal, endpoint_id, data)

    @delete("/{endpoint_id:int}", operation_id="postback_endpoints_disable", opt=roles(WM))
    async def disable(self, principal: PrincipalDep, endpoint_id: IdPath) -> None:
        await service.delete(principal, endpoint_id)

    @post("/{endpoint_id:int}/test", operation_id="postback_endpoints_test", opt=roles(WM), status_code=200)
    async def test_fire(self, principal: PrincipalDep, endpoint_id: IdPath) -> DeliveryOut:
        """Send a sample postback now; the answer shows the status, latency and the start of the response."""
        return await service.test_fire(principal, endpoint_id)


class PostbackDeliveryController(Controller):
    path = "/api/v1/postback-deliveries"
    tags = ["outgoing postbacks"]

    @get("/", operation_id="postback_deliveries_list", opt=roles(A, S, WM))
    async def list_deliveries(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        delivery_state: Annotated[
            str | None,
            QueryParameter(name="state", pattern=r"^(queued|sending|delivered|dead|paused)$"),
        ] = None,
    ) -> Page[DeliveryOut]:
        """The delivery log: state, attempts, last status and error of each postback (dead letters: dead)."""
        return await service.deliveries(principal, state=delivery_state, limit=limit, offset=offset)

    @get("/{delivery_id:int}", operation_id="postback_deliveries_get", opt=roles(A, S, WM))
    async def get_delivery(self, principal: PrincipalDep, delivery_id: IdPath) -> DeliveryOut:
        """One delivery with every attempt: time, HTTP status, latency, response snippet, error."""
        return await service.get_delivery(principal, delivery_id)

    @post(
        "/{delivery_id:int}/replay",
        operation_id="postback_deliveries_replay",
        opt=roles(A, S, WM),
        status_code=200,
    )
    async def replay(self, principal: PrincipalDep, delivery_id: IdPath) -> DeliveryOut:
        """Queue a delivery again (same event id), e.g. a dead letter after the receiver is fixed."""
        return await service.replay(principal, delivery_id)
