from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import JSONBody, QueryParameter

from network.conversions import intake, service
from network.conversions.policy import FinancePolicy
from network.conversions.replies import SIGNATURE_HEADERS, answer_document, postback_params
from network.conversions.schemas import (
    BulkResultOut,
    BulkTransitionIn,
    ConversionOut,
    CouponIn,
    CouponOut,
    CredentialIn,
    CredentialOut,
    LeadIn,
    LeadOut,
    PostbackLogOut,
    TransitionIn,
)
from network.http.auth import roles
from network.http.client import client_ip
from network.http.deps import PrincipalDep
from network.pagination import LimitParam, OffsetParam, Page
from network.principal import Role
from network.tracking.endpoint import VISITOR_COOKIE
from network.types import IdPath

A, S, ADV, WM = Role.NETWORK_ADMIN, Role.STAFF, Role.ADVERTISER, Role.WEBMASTER
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


async def _received(request: Request[Any, Any, Any]) -> intake.Received:
    pairs: list[tuple[str, str]] = [(key, str(value)) for key, value in request.query_params.items()]
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = await request.form()
            pairs.extend((key, str(value)) for key, value in form.items())
        elif content_type.startswith("application/json"):
            body = msgspec.json.decode(await request.body())
            if isinstance(body, dict):
                pairs.extend(
                    (str(key), str(value))
                    for key, value in body.items()
                    if isinstance(value, str | int | float)
                )
    signed = {h: request.headers[h] for h in SIGNATURE_HEADERS if h in request.headers}
    return intake.Received(
        path=request.url.path,
        params=postback_params(pairs, signed),
        ip=client_ip(request),
        visitor_id=request.cookies.get(VISITOR_COOKIE, "")[:32],
        at=datetime.now(UTC),
    )


def _response(answer: intake.Answer) -> Response[Any]:
    status, media_type, body = answer_document(answer)
    return Response(body, status_code=status, media_type=media_type)


POSTBACK_OPT = {"exclude_from_auth": True}


@get("/postback", operation_id="postback_get", opt=POSTBACK_OPT, tags=["postbacks"])
async def receive_postback(request: Request[Any, Any, Any]) -> Response[Any]:
    """Inbound conversion postback, in cpanet's form or any dialect in docs/postbacks.md. The answer always
    says what happened: accepted, duplicate, updated, queued or rejected, with a reason code."""
    return _response(await intake.receive(await _received(request)))


@post("/postback", operation_id="postback_post", opt=POSTBACK_OPT, tags=["postbacks"], status_code=200)
async def receive_postback_post(request: Request[Any, Any, Any]) -> Response[Any]:
    """The same postback sent as a POST (query string, form or JSON body parameters)."""
    return _response(await intake.receive(await _received(request)))


@get("/aff_lsr", operation_id="postback_tune", opt=POSTBACK_OPT, tags=["postbacks"])
async def receive_postback_tune(request: Request[Any, Any, Any]) -> Response[Any]:
    """TUNE/HasOffers server postback: /aff_lsr?transaction_id={click_id}&security_token=..."""
    return _response(await intake.receive(await _received(request)))


@get("/pixel.gif", operation_id="postback_pixel", opt=POSTBACK_OPT, tags=["postbacks"])
async def receive_pixel(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Image pixel for the advertiser's thank-you page: attributed by the visitor cookie (or a click id).
    Always a 1x1 GIF; the decision is in the X-Cpanet-Decision and X-Cpanet-Reason headers and the log."""
    answer = await intake.receive(await _received(request))
    return Response(
        PIXEL,
        media_type="image/gif",
        headers={
            "X-Cpanet-Decision": answer.decision,
            "X-Cpanet-Reason": answer.reason or "",
            "Cache-Control": "no-store",
        },
    )


class ConversionController(Controller):
    path = "/api/v1/conversions"
    tags = ["conversions"]

    @get("/", operation_id="conversions_list")
    async def list_conversions(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        status: Annotated[
            str | None, QueryParameter(pattern=r"^(pending|hold|approved|rejected|reversed)$")
        ] = None,
        offer_id: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
        date_from: Annotated[datetime | None, QueryParameter(description="Created at or after.")] = None,
        date_to: Annotated[datetime | None, QueryParameter(description="Created before.")] = None,
    ) -> Page[ConversionOut]:
        """Conversions with status, reason code and hold-until date. Webmasters see their own (no revenue),
        advertisers those on their offers, staff all."""
        return await service.list_conversions(
            principal,
            status=status,
            offer_id=offer_id,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
            offset=offset,
        )

    @get("/{conversion_id:int}", operation_id="conversions_get")
    async def get_conversion(self, principal: PrincipalDep, conversion_id: IdPath) -> ConversionOut:
        """One conversion with its full history of status changes and their reasons."""
        return await service.get_conversion(principal, conversion_id)

    @post(
        "/{conversion_id:int}/status",
        operation_id="conversions_transition",
        opt=roles(A, S, ADV),
        status_code=200,
    )
    async def transition(
        self, principal: PrincipalDep, conversion_id: IdPath, data: JSONBody[TransitionIn]
    ) -> ConversionOut:
        """Approve, hold, reject or reverse one conversion, with a reason code and a comment (shown to all).
        Advertisers decide on their own offers' pending and held conversions; staff can override."""
        return await service.transition(principal, conversion_id, data)

    @post("/bulk-status", operation_id="conversions_bulk_transition", opt=roles(A, S, ADV), status_code=200)
    async def bulk(self, principal: PrincipalDep, data: JSONBody[BulkTransitionIn]) -> list[BulkResultOut]:
        """The same decision for up to 500 conversions; each gets its own result."""
        return await service.bulk_transition(principal, data)


class PostbackAdminController(Controller):
    path = "/api/v1"
    tags = ["postbacks"]

    @post(
        "/advertisers/{advertiser_id:int}/postback-credentials",
        operation_id="postback_credentials_create",
        opt=roles(A, S, ADV),
        status_code=201,
    )
    async def create_credential(
        self, principal: PrincipalDep, advertiser_id: IdPath, data: JSONBody[CredentialIn]
    ) -> CredentialOut:
        """A postback token (and optionally an HMAC secret), shown once. Optional IP allowlist."""
        return await service.create_credential(principal, advertiser_id, data)

    @get(
        "/advertisers/{advertiser_id:int}/postback-credentials",
        operation_id="postback_credentials_list",
        opt=roles(A, S, ADV),
    )
    async def list_credentials(self, principal: PrincipalDep, advertiser_id: IdPath) -> list[CredentialOut]:
        return await service.list_credentials(principal, advertiser_id)

    @delete(
        "/advertisers/{advertiser_id:int}/postback-credentials/{credential_id:int}",
        operation_id="postback_credentials_revoke",
        opt=roles(A, S, ADV),
    )
    async def revoke_credential(
        self, principal: PrincipalDep, advertiser_id: IdPath, credential_id: IdPath
    ) -> None:
        await service.revoke_credential(principal, advertiser_id, credential_id)

    @get("/postbacks/log", operation_id="postbacks_log", opt=roles(A, S, ADV))
    async def log(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        decision: Annotated[
            str | None, QueryParameter(pattern=r"^(accepted|duplicate|updated|rejected|queued)$")
        ] = None,
    ) -> Page[PostbackLogOut]:
        """Every inbound postback and its decision, rejected ones included, with the reason."""
        return await service.postback_log(principal, decision=decision, limit=limit, offset=offset)

    @post(
        "/offers/{offer_id:int}/coupons", operation_id="coupons_create", opt=roles(A, S, ADV), status_code=201
    )
    async def create_coupon(
        self, principal: PrincipalDep, offer_id: IdPath, data: JSONBody[CouponIn]
    ) -> CouponOut:
        """Assign a promo code to a webmaster: postbacks carrying it are attributed to them."""
        return await service.create_coupon(principal, offer_id, data)

    @get("/offers/{offer_id:int}/coupons", operation_id="coupons_list")
    async def list_coupons(self, principal: PrincipalDep, offer_id: IdPath) -> list[CouponOut]:
        return await service.list_coupons(principal, offer_id)

    @post("/offers/{offer_id:int}/leads", operation_id="leads_register", opt=roles(WM), status_code=201)
    async def register_lead(
        self, principal: PrincipalDep, offer_id: IdPath, data: JSONBody[LeadIn]
    ) -> LeadOut:
        """Register a customer (id or e-mail SHA-256) before the sale; the sale is then attributed to you."""
        return await service.register_lead(principal, offer_id, data)

    @get("/offers/{offer_id:int}/leads", operation_id="leads_list")
    async def list_leads(self, principal: PrincipalDep, offer_id: IdPath) -> list[LeadOut]:
        return await service.list_leads(principal, offer_id)

    @get("/network/finance", operation_id="finance_policy_get", opt=roles(A, S))
    async def get_finance(self, principal: PrincipalDep) -> FinancePolicy:
        """Referral shares per level, the advertiser balance gate, minimum withdrawal, delivery limits."""
        return await service.get_finance(principal)

    @put("/network/finance", operation_id="finance_policy_put", opt=roles(A))
    async def put_finance(self, principal: PrincipalDep, data: JSONBody[FinancePolicy]) -> FinancePolicy:
        return await service.put_finance(principal, data)
