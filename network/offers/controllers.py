from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import JSONBody, QueryParameter

from network.http.auth import roles
from network.http.deps import PrincipalDep, SettingsDep
from network.offers import access, service
from network.offers.schemas import (
    AccessDecision,
    AccessOut,
    AccessRequest,
    AccessRevoke,
    Invitation,
    OfferCreate,
    OfferOut,
    OfferSummary,
    OfferUpdate,
    Transition,
)
from network.pagination import LimitParam, OffsetParam, Page
from network.principal import Role
from network.tracking import service as tracking
from network.tracking.schemas import LinkRequest, TrackingLinks
from network.types import IdPath

A, S, ADV, WM = Role.NETWORK_ADMIN, Role.STAFF, Role.ADVERTISER, Role.WEBMASTER


class OfferController(Controller):
    path = "/api/v1/offers"
    tags = ["offers"]

    @get("/", operation_id="offers_list")
    async def list_offers(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        status: Annotated[
            str | None, QueryParameter(pattern=r"^(draft|pending|active|paused|archived)$")
        ] = None,
        visibility: Annotated[
            str | None, QueryParameter(pattern=r"^(public|approval_required|private)$")
        ] = None,
        category: Annotated[str | None, QueryParameter(max_length=64)] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="Search in offer names.")] = None,
    ) -> Page[OfferSummary]:
        """The catalogue: webmasters see active offers they may join, advertisers their own, staff all."""
        return await service.list_offers(
            principal,
            status=status,
            visibility=visibility,
            category=category,
            search=q,
            limit=limit,
            offset=offset,
        )

    @post("/", operation_id="offer_create", opt=roles(A, S, ADV), status_code=201)
    async def create(self, principal: PrincipalDep, data: JSONBody[OfferCreate]) -> OfferOut:
        """Create an offer as a draft. Staff must name the advertiser."""
        return await service.create_offer(principal, data)

    @get("/{offer_id:int}", operation_id="offer_get")
    async def get_offer(self, principal: PrincipalDep, offer_id: IdPath) -> OfferOut:
        return await service.get_offer(principal, offer_id)

    @patch("/{offer_id:int}", operation_id="offer_update", opt=roles(A, S, ADV))
    async def update(
        self, principal: PrincipalDep, offer_id: IdPath, data: JSONBody[OfferUpdate]
    ) -> OfferOut:
        """Edit an offer; lists given (goals, landings, promo materials, caps) replace the old ones."""
        return await service.update_offer(principal, offer_id, data)

    @post(
        "/{offer_id:int}/transitions", operation_id="offer_transition", opt=roles(A, S, ADV), status_code=200
    )
    async def transition(
        self, principal: PrincipalDep, offer_id: IdPath, data: JSONBody[Transition]
    ) -> OfferOut:
        """Move an offer through draft -> pending -> active -> paused -> archived (see docs/api.md)."""
        return await service.transition(principal, offer_id, data)

    @post("/{offer_id:int}/access", operation_id="offer_access_request", opt=roles(WM), status_code=200)
    async def request_access(
        self, principal: PrincipalDep, offer_id: IdPath, data: JSONBody[AccessRequest]
    ) -> AccessOut:
        """Join an offer: public offers (and invitations) are approved at once, others wait for a decision."""
        return await access.request_access(principal, offer_id, data)

    @get("/{offer_id:int}/access", operation_id="offer_access_list", opt=roles(A, S, ADV))
    async def list_access(
        self,
        principal: PrincipalDep,
        offer_id: IdPath,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        status: Annotated[
            str | None, QueryParameter(pattern=r"^(requested|approved|declined|invited|revoked)$")
        ] = None,
    ) -> Page[AccessOut]:
        return await access.list_for_offer(principal, offer_id, status, limit, offset)

    @post(
        "/{offer_id:int}/access/{webmaster_id:int}/decision",
        operation_id="offer_access_decide",
        opt=roles(A, S, ADV),
        status_code=200,
    )
    async def decide(
        self,
        principal: PrincipalDep,
        offer_id: IdPath,
        webmaster_id: IdPath,
        data: JSONBody[AccessDecision],
    ) -> AccessOut:
        return await access.decide(principal, offer_id, webmaster_id, data)

    @post(
        "/{offer_id:int}/access/{webmaster_id:int}/revoke",
        operation_id="offer_access_revoke",
        opt=roles(A, S, ADV),
        status_code=200,
    )
    async def revoke(
        self,
        principal: PrincipalDep,
        offer_id: IdPath,
        webmaster_id: IdPath,
        data: JSONBody[AccessRevoke],
    ) -> AccessOut:
        return await access.revoke(principal, offer_id, webmaster_id, data)

    @post("/{offer_id:int}/invitations", operation_id="offer_invite", opt=roles(A, S, ADV), status_code=200)
    async def invite(
        self, principal: PrincipalDep, offer_id: IdPath, data: JSONBody[Invitation]
    ) -> AccessOut:
        """Invite a webmaster (the way into a private offer)."""
        return await access.invite(principal, offer_id, data)

    @post("/{offer_id:int}/links", operation_id="tracking_link_create", opt=roles(WM), status_code=200)
    async def links(
        self,
        principal: PrincipalDep,
        offer_id: IdPath,
        data: JSONBody[LinkRequest],
        settings: SettingsDep,
    ) -> TrackingLinks:
        """A tracking link with sub ids, in cpanet's form and the TUNE, Affise and CAKE alias forms."""
        return await tracking.create_links(principal, offer_id, data, settings.http.public_base_url)


class MyAccessController(Controller):
    path = "/api/v1/my"
    tags = ["offers"]

    @get("/offer-access", operation_id="my_offer_access", opt=roles(WM))
    async def mine(self, principal: PrincipalDep) -> list[AccessOut]:
        """Your access state on every offer you asked to join or were invited to."""
        return await access.list_mine(principal)
