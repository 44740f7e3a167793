"""The conversions API: reading conversions with their history, advertiser and staff decisions, postback
credentials, the inbound postback log, coupons and leads. Tenant and role scoping happen here."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import UTC, datetime
from typing import Any

import msgspec

from network import jsoncol
from network.accounts.tables import Advertiser, Webmaster
from network.audit import service as audit
from network.conversions import auth, lifecycle, policy
from network.conversions.schemas import (
    BulkResultOut,
    BulkTransitionIn,
    CommissionOut,
    ConversionEventOut,
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
from network.conversions.tables import Conversion, ConversionEvent, Coupon, Lead, PostbackAuth, PostbackLog
from network.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError, ValidationError
from network.money import from_minor
from network.offers import service as offers
from network.pagination import Page
from network.principal import Principal, Role
from network.transaction import atomic

Row = dict[str, Any]


def conversion_out(row: Row, principal: Principal, history: list[Row] | None = None) -> ConversionOut:
    currency = row["currency"]
    is_webmaster = principal.role is Role.WEBMASTER
    return ConversionOut(
        id=row["id"],
        offer_id=row["offer"],
        webmaster_id=row["webmaster"],
        goal=row["goal"],
        click_id=row["click_id"],
        click_at=row["click_at"],
        attribution=row["attribution"],
        terms_version=row["terms_version"],
        status=row["status"],
        reason=row["reason"],
        reason_detail=row["reason_detail"],
        order_id=row["order_id"],
        currency=currency,
        payout=str(from_minor(int(row["payout"]), currency)),
        sale_amount=None
        if row["sale_amount"] is None
        else str(from_minor(int(row["sale_amount"]), currency)),
        hold_until=row["hold_until"],
        ctct_seconds=int(row["ctct_seconds"]),
        billable=bool(row["billable"]),
        country=row["country"],
        sub1=row["sub1"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revenue=None if is_webmaster else str(from_minor(int(row["revenue"]), currency)),
        advertiser_id=None if is_webmaster else row["advertiser"],
        commissions=[]
        if is_webmaster
        else [
            CommissionOut(int(w), int(level), str(from_minor(int(amount), currency)))
            for w, level, amount in jsoncol.load(row["commissions"]) or []
        ],
        history=[
            ConversionEventOut(
                e["at"], e["from_status"], e["to_status"], e["reason"], e["comment"], e["actor_role"]
            )
            for e in history or []
        ],
    )


def _scope(principal: Principal) -> Any:
    where: Any = Conversion.network == principal.network_id
    if principal.role is Role.WEBMASTER:
        where &= Conversion.webmaster == principal.webmaster_id
    elif principal.role is Role.ADVERTISER:
        where &= Conversion.advertiser == principal.advertiser_id
    return where


async def list_conversions(
    principal: Principal,
    *,
    status: str | None,
    offer_id: int | None,
    date_from: datetime | None,
    date_to: datetime | None,
    limit: int,
    offset: int,
) -> Page[ConversionOut]:
    where: Any = _scope(principal)
    if status:
        where &= Conversion.status == status
    if offer_id:
        where &= Conversion.offer == offer_id
    if date_from:
        where &= Conversion.created_at >= date_from
    if date_to:
        where &= Conversion.created_at < date_to
    total = await Conversion.count().where(where)
    rows = (
        await Conversion.select()
        .where(where)
        .order_by(Conversion.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return Page([conversion_out(r, principal) for r in rows], int(total), limit, offset)


async def _visible(principal: Principal, conversion_id: int) -> Row:
    row: Row | None = (
        await Conversion.select().where(_scope(principal) & (Conversion.id == conversion_id)).first()
    )
    if row is None:
        raise NotFoundError("conversion not found")
    return row


async def get_conversion(principal: Principal, conversion_id: int) -> ConversionOut:
    row = await _visible(principal, conversion_id)
    history = (
        await ConversionEvent.select()
        .where(
            (ConversionEvent.network == principal.network_id) & (ConversionEvent.conversion == conversion_id)
        )
        .order_by(ConversionEvent.id)
    )
    return conversion_out(row, principal, history)


async def _transition(principal: Principal, conversion_id: int, data: TransitionIn) -> Row:
    if principal.role is Role.WEBMASTER:
        raise PermissionDeniedError("webmasters cannot change conversion statuses")
    row = await _visible(principal, conversion_id)
    if data.to in {"rejected", "reversed"} and not data.comment and data.reason == "manual":
        raise ValidationError(
            "a rejection or reversal needs a reason code or a comment the webmaster can read"
        )
    if (
        data.to == "approved"
        and row["hold_until"]
        and row["hold_until"] > datetime.now(UTC)
        and not principal.is_staff
    ):
        to, until = "hold", row["hold_until"]
    else:
        to, until = data.to, row["hold_until"]
    reason = data.reason
    if principal.role is Role.ADVERTISER and to == "rejected" and reason == "manual":
        reason = "advertiser_rejected"
    new = await lifecycle.transition(
        tenant_id=principal.network_id,
        conversion_id=conversion_id,
        to=to,
        reason=reason,
        comment=data.comment,
        actor=principal,
        expect=row["status"],
        hold_until=until,
    )
    if new is None:
        raise ConflictError("the conversion changed meanwhile; reload it and try again")
    return new


async def transition(principal: Principal, conversion_id: int, data: TransitionIn) -> ConversionOut:
    async with atomic():
        await _transition(principal, conversion_id, data)
    return await get_conversion(principal, conversion_id)


async def bulk_transition(principal: Principal, data: BulkTransitionIn) -> list[BulkResultOut]:
    """One transaction per conversion: one refusal does not undo the others, and each gets its answer."""
    out: list[BulkResultOut] = []
    one = TransitionIn(to=data.to, reason=data.reason, comment=data.comment)
    for conversion_id in dict.fromkeys(data.ids):
        try:
            async with atomic():
                row = await _transition(principal, conversion_id, one)
            out.append(BulkResultOut(conversion_id, True, row["status"], None))
        except DomainError as exc:
            out.append(BulkResultOut(conversion_id, False, None, exc.detail))
    return out


# --- postback credentials -----------------------------------------------------------------------------


async def _own_advertiser(principal: Principal, advertiser_id: int) -> None:
    if principal.role is Role.ADVERTISER and principal.advertiser_id != advertiser_id:
        raise NotFoundError("advertiser not found")
    exists = await Advertiser.exists().where(
        (Advertiser.network == principal.network_id) & (Advertiser.id == advertiser_id)
    )
    if not exists:
        raise NotFoundError("advertiser not found")


def _credential_out(row: Row, token: str | None = None, secret: str | None = None) -> CredentialOut:
    return CredentialOut(
        id=row["id"],
        advertiser_id=row["advertiser"],
        token_prefix=row["token_prefix"],
        ip_allowlist=list(jsoncol.load(row["ip_allowlist"]) or []),
        require_hmac=bool(row["require_hmac"]),
        has_hmac_secret=bool(row["hmac_secret"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        token=token,
        hmac_secret=secret,
    )


async def create_credential(principal: Principal, advertiser_id: int, data: CredentialIn) -> CredentialOut:
    await _own_advertiser(principal, advertiser_id)
    for entry in data.ip_allowlist:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValidationError(f"ip_allowlist: {entry!r} is not an IP address or CIDR range") from None
    if data.require_hmac and not data.hmac:
        raise ValidationError("require_hmac needs hmac: true (a secret to sign with)")
    token, prefix, digest = auth.new_token()
    secret = secrets.token_hex(32) if data.hmac else ""
    async with atomic():
        rows = await PostbackAuth.insert(
            PostbackAuth(
                network=principal.network_id,
                advertiser=advertiser_id,
                token_prefix=prefix,
                token_hash=digest,
                ip_allowlist=jsoncol.dump(data.ip_allowlist),
                hmac_secret=secret,
                require_hmac=data.require_hmac,
            )
        ).returning(PostbackAuth.id)
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="postback_auth",
            entity_id=rows[0]["id"],
            action="postback_auth.created",
            after={"advertiser": advertiser_id, "prefix": prefix, "ip_allowlist": data.ip_allowlist},
        )
    row = await PostbackAuth.select().where(PostbackAuth.id == rows[0]["id"]).first()
    assert row is not None
    return _credential_out(row, token, secret or None)


async def list_credentials(principal: Principal, advertiser_id: int) -> list[CredentialOut]:
    await _own_advertiser(principal, advertiser_id)
    rows = (
        await PostbackAuth.select()
        .where((PostbackAuth.network == principal.network_id) & (PostbackAuth.advertiser == advertiser_id))
        .order_by(PostbackAuth.id)
    )
    return [_credential_out(r) for r in rows]


async def revoke_credential(principal: Principal, advertiser_id: int, credential_id: int) -> None:
    await _own_advertiser(principal, advertiser_id)
    where = (
        (PostbackAuth.network == principal.network_id)
        & (PostbackAuth.advertiser == advertiser_id)
        & (PostbackAuth.id == credential_id)
    )
    async with atomic():
        if not await PostbackAuth.exists().where(where):
            raise NotFoundError("credential not found")
        await PostbackAuth.update({PostbackAuth.revoked_at: datetime.now(UTC)}).where(where)
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="postback_auth",
            entity_id=credential_id,
            action="postback_auth.revoked",
        )


async def postback_log(
    principal: Principal, *, decision: str | None, limit: int, offset: int
) -> Page[PostbackLogOut]:
    where: Any = PostbackLog.network == principal.network_id
    if principal.role is Role.ADVERTISER:
        where &= PostbackLog.advertiser == principal.advertiser_id
    if decision:
        where &= PostbackLog.decision == decision
    total = await PostbackLog.count().where(where)
    rows = (
        await PostbackLog.select()
        .where(where)
        .order_by(PostbackLog.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    items = [
        PostbackLogOut(
            id=r["id"],
            advertiser_id=r["advertiser"],
            received_at=r["received_at"],
            dialect=r["dialect"],
            ip=r["ip"],
            params=jsoncol.load(r["params"]) or {},
            decision=r["decision"],
            reason=r["reason"],
            message=r["message"],
            http_status=r["http_status"],
            click_id=r["click_id"],
            conversion_id=r["conversion"],
        )
        for r in rows
    ]
    return Page(items, int(total), limit, offset)


# --- coupons and leads ---------------------------------------------------------------------------------


async def create_coupon(principal: Principal, offer_id: int, data: CouponIn) -> CouponOut:
    await offers.load_managed(principal, offer_id)
    if not await Webmaster.exists().where(
        (Webmaster.network == principal.network_id) & (Webmaster.id == data.webmaster_id)
    ):
        raise NotFoundError("webmaster not found")
    code = data.code.upper()
    async with atomic():
        taken = await Coupon.exists().where(
            (Coupon.network == principal.network_id) & (Coupon.offer == offer_id) & (Coupon.code == code)
        )
        if taken:
            raise ConflictError(f"coupon {code} is already assigned on this offer")
        rows = await Coupon.insert(
            Coupon(network=principal.network_id, offer=offer_id, webmaster=data.webmaster_id, code=code)
        ).returning(Coupon.id, Coupon.created_at)
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="coupon",
            entity_id=rows[0]["id"],
            action="coupon.assigned",
            after={"offer": offer_id, "webmaster": data.webmaster_id, "code": code},
        )
    return CouponOut(rows[0]["id"], offer_id, data.webmaster_id, code, rows[0]["created_at"])


async def list_coupons(principal: Principal, offer_id: int) -> list[CouponOut]:
    await offers.load_visible(principal, offer_id)
    where = (Coupon.network == principal.network_id) & (Coupon.offer == offer_id)
    if principal.role is Role.WEBMASTER:
        where &= Coupon.webmaster == principal.webmaster_id
    rows = await Coupon.select().where(where).order_by(Coupon.id)
    return [CouponOut(r["id"], r["offer"], r["webmaster"], r["code"], r["created_at"]) for r in rows]


async def register_lead(principal: Principal, offer_id: int, data: LeadIn) -> LeadOut:
    await offers.load_visible(principal, offer_id)
    assert principal.webmaster_id is not None
    key = data.lead_key.lower()
    async with atomic():
        taken = await Lead.exists().where(
            (Lead.network == principal.network_id) & (Lead.offer == offer_id) & (Lead.lead_key == key)
        )
        if taken:
            raise ConflictError("this lead is already registered on this offer (first registration wins)")
        rows = await Lead.insert(
            Lead(
                network=principal.network_id,
                offer=offer_id,
                webmaster=principal.webmaster_id,
                lead_key=key,
                note=data.note,
            )
        ).returning(Lead.id, Lead.created_at)
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="lead",
            entity_id=rows[0]["id"],
            action="lead.registered",
            after={"offer": offer_id, "lead_key": key},
        )
    return LeadOut(rows[0]["id"], offer_id, principal.webmaster_id, key, data.note, rows[0]["created_at"])


async def list_leads(principal: Principal, offer_id: int) -> list[LeadOut]:
    await offers.load_visible(principal, offer_id)
    where = (Lead.network == principal.network_id) & (Lead.offer == offer_id)
    if principal.role is Role.WEBMASTER:
        where &= Lead.webmaster == principal.webmaster_id
    rows = await Lead.select().where(where).order_by(Lead.id)
    return [
        LeadOut(r["id"], r["offer"], r["webmaster"], r["lead_key"], r["note"], r["created_at"]) for r in rows
    ]


async def get_finance(principal: Principal) -> policy.FinancePolicy:
    found, _net = await policy.load(principal.network_id)
    return found


async def put_finance(principal: Principal, data: policy.FinancePolicy) -> policy.FinancePolicy:
    async with atomic():
        before, _net = await policy.load(principal.network_id)
        await policy.save(principal.network_id, data)
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="network",
            entity_id=principal.network_id,
            action="network.finance_policy",
            before=msgspec.to_builtins(before),
            after=msgspec.to_builtins(data),
        )
    return data
