"""Accounts: users, advertiser and webmaster profiles and their moderation, webmaster groups."""

from __future__ import annotations

from typing import Any

import msgspec

from network import jsoncol
from network.accounts import repository as repo
from network.accounts.schemas import (
    AdvertiserOut,
    EarnedOut,
    GroupCreate,
    GroupOut,
    MeOut,
    ReferralOut,
    SignupIn,
    SignupOut,
    StatusChange,
    UserCreate,
    UserOut,
    WebmasterOut,
)
from network.accounts.security import PasswordHashing, new_referral_code
from network.audit import service as audit
from network.errors import ConflictError, InvalidTransitionError, NotFoundError, PermissionDeniedError
from network.errors import ValidationError as DomainValidationError
from network.ledger.referrals import referral_earnings
from network.pagination import Page
from network.principal import Principal, Role
from network.tenants import repository as tenants
from network.transaction import atomic

# Who may move a profile from one moderation status to another. A ban always needs a reason.
PROFILE_TRANSITIONS = {
    ("pending", "active"),
    ("pending", "banned"),
    ("active", "banned"),
    ("banned", "active"),
}


def user_out(row: dict[str, Any]) -> UserOut:
    return UserOut(
        id=row["id"],
        email=row["email"],
        role=row["role"],
        display_name=row["display_name"],
        advertiser_id=row["advertiser"],
        webmaster_id=row["webmaster"],
        is_active=row["is_active"],
        created_at=row["created_at"],
    )


def advertiser_out(row: dict[str, Any]) -> AdvertiserOut:
    return AdvertiserOut(
        id=row["id"],
        name=row["name"],
        company=row["company"],
        status=row["status"],
        status_reason=row["status_reason"],
        created_at=row["created_at"],
    )


def webmaster_out(row: dict[str, Any]) -> WebmasterOut:
    return WebmasterOut(
        id=row["id"],
        name=row["name"],
        status=row["status"],
        status_reason=row["status_reason"],
        referral_code=row["referral_code"],
        referred_by=row["referred_by"],
        traffic_sources=list(jsoncol.load(row["traffic_sources"])),
        created_at=row["created_at"],
    )


def _normalise_email(email: str) -> str:
    return email.strip().lower()


async def me(principal: Principal) -> MeOut:
    user = await repo.user(tenant_id=principal.network_id, user_id=principal.user_id)
    if user is None:
        raise NotFoundError("user not found")
    status = reason = code = None
    groups: list[str] = []
    if principal.advertiser_id:
        adv = await repo.advertiser(tenant_id=principal.network_id, advertiser_id=principal.advertiser_id)
        if adv:
            status, reason = adv["status"], adv["status_reason"]
    if principal.webmaster_id:
        wm = await repo.webmaster(tenant_id=principal.network_id, webmaster_id=principal.webmaster_id)
        if wm:
            status, reason, code = wm["status"], wm["status_reason"], wm["referral_code"]
        groups = await repo.webmaster_group_keys(
            tenant_id=principal.network_id, webmaster_id=principal.webmaster_id
        )
    return MeOut(
        user_id=user["id"],
        network_id=principal.network_id,
        role=user["role"],
        email=user["email"],
        display_name=user["display_name"],
        advertiser_id=user["advertiser"],
        webmaster_id=user["webmaster"],
        profile_status=status,
        profile_status_reason=reason,
        referral_code=code,
        groups=groups,
        locale=str(user["locale"] or "en"),
    )


async def signup_webmaster(data: SignupIn, hasher: PasswordHashing) -> SignupOut:
    """Self sign-up: the webmaster starts pending, and the referrer (if any) is recorded for later."""
    network = await tenants.by_slug(data.network)
    if network is None:
        raise NotFoundError(f"no network {data.network!r}")
    tenant_id = int(network["id"])
    email = _normalise_email(data.email)
    referrer_id: int | None = None
    if data.referral_code:
        referrer = await repo.webmaster_by_referral_code(tenant_id=tenant_id, code=data.referral_code)
        if referrer is None:
            raise DomainValidationError("unknown referral code", field="referral_code")
        referrer_id = int(referrer["id"])
    password_hash = hasher.hash(data.password)
    async with atomic():
        if await repo.user_by_email(tenant_id=tenant_id, email=email):
            raise ConflictError("an account with this e-mail exists on this network")
        webmaster_id = await repo.insert_webmaster(
            tenant_id=tenant_id,
            name=data.name,
            status="pending",
            referral_code=new_referral_code(),
            referred_by=referrer_id,
            traffic_sources=jsoncol.dump(data.traffic_sources),
        )
        user_id = await repo.insert_user(
            tenant_id=tenant_id,
            email=email,
            password_hash=password_hash,
            role=Role.WEBMASTER.value,
            display_name=data.name,
            webmaster=webmaster_id,
        )
        await audit.record(
            network_id=tenant_id,
            actor=None,
            entity="webmaster",
            entity_id=webmaster_id,
            action="webmaster.signed_up",
            after={"status": "pending", "referred_by": referrer_id, "user_id": user_id},
        )
    return SignupOut(user_id=user_id, webmaster_id=webmaster_id, status="pending", referred_by=referrer_id)


async def create_user(principal: Principal, data: UserCreate, hasher: PasswordHashing) -> UserOut:
    tenant_id = principal.network_id
    role = Role(data.role)
    if role in {Role.NETWORK_ADMIN, Role.STAFF} and principal.role != Role.NETWORK_ADMIN:
        raise PermissionDeniedError("only a network admin can create staff or admin users")
    if role != Role.ADVERTISER and data.advertiser_id is not None:
        raise DomainValidationError("advertiser_id is only for advertiser users", field="advertiser_id")
    if role != Role.WEBMASTER and data.webmaster_id is not None:
        raise DomainValidationError("webmaster_id is only for webmaster users", field="webmaster_id")
    email = _normalise_email(data.email)
    password_hash = hasher.hash(data.password)
    async with atomic():
        if await repo.user_by_email(tenant_id=tenant_id, email=email):
            raise ConflictError("an account with this e-mail exists on this network")
        advertiser_id = webmaster_id = None
        profile_name = data.profile_name or data.display_name or email
        if role == Role.ADVERTISER:
            if data.advertiser_id is not None:
                if not await repo.advertiser(tenant_id=tenant_id, advertiser_id=data.advertiser_id):
                    raise NotFoundError("advertiser not found")
                advertiser_id = data.advertiser_id
            else:
                advertiser_id = await repo.insert_advertiser(
                    tenant_id=tenant_id, name=profile_name, company="", status="active"
                )
        if role == Role.WEBMASTER:
            if data.webmaster_id is not None:
                if not await repo.webmaster(tenant_id=tenant_id, webmaster_id=data.webmaster_id):
                    raise NotFoundError("webmaster not found")
                webmaster_id = data.webmaster_id
            else:
                webmaster_id = await repo.insert_webmaster(
                    tenant_id=tenant_id,
                    name=profile_name,
                    status="active",
                    referral_code=new_referral_code(),
                    referred_by=None,
                    traffic_sources="[]",
                )
        user_id = await repo.insert_user(
            tenant_id=tenant_id,
            email=email,
            password_hash=password_hash,
            role=role.value,
            display_name=data.display_name,
            advertiser=advertiser_id,
            webmaster=webmaster_id,
        )
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="user",
            entity_id=user_id,
            action="user.created",
            after={
                "email": email,
                "role": role.value,
                "advertiser_id": advertiser_id,
                "webmaster_id": webmaster_id,
            },
        )
    row = await repo.user(tenant_id=tenant_id, user_id=user_id)
    assert row is not None
    return user_out(row)


async def get_user(principal: Principal, user_id: int) -> UserOut:
    row = await repo.user(tenant_id=principal.network_id, user_id=user_id)
    if row is None:
        raise NotFoundError("user not found")
    return user_out(row)


async def list_users(principal: Principal, role: str | None, limit: int, offset: int) -> Page[UserOut]:
    rows, total = await repo.users_page(tenant_id=principal.network_id, role=role, limit=limit, offset=offset)
    return Page([user_out(r) for r in rows], total, limit, offset)


async def get_advertiser(principal: Principal, advertiser_id: int) -> AdvertiserOut:
    if principal.role == Role.ADVERTISER and principal.advertiser_id != advertiser_id:
        raise NotFoundError("advertiser not found")
    row = await repo.advertiser(tenant_id=principal.network_id, advertiser_id=advertiser_id)
    if row is None:
        raise NotFoundError("advertiser not found")
    return advertiser_out(row)


async def list_advertisers(
    principal: Principal, status: str | None, limit: int, offset: int
) -> Page[AdvertiserOut]:
    rows, total = await repo.advertisers_page(
        tenant_id=principal.network_id, status=status, limit=limit, offset=offset
    )
    return Page([advertiser_out(r) for r in rows], total, limit, offset)


def _check_profile_transition(current: str, change: StatusChange) -> None:
    if (current, change.status) not in PROFILE_TRANSITIONS:
        raise InvalidTransitionError(f"cannot change status from {current} to {change.status}")
    if change.status == "banned" and not change.reason.strip():
        raise DomainValidationError("a ban needs a reason the account holder can read", field="reason")


async def set_advertiser_status(
    principal: Principal, advertiser_id: int, change: StatusChange
) -> AdvertiserOut:
    async with atomic():
        row = await repo.advertiser(tenant_id=principal.network_id, advertiser_id=advertiser_id)
        if row is None:
            raise NotFoundError("advertiser not found")
        _check_profile_transition(row["status"], change)
        await repo.set_advertiser_status(
            tenant_id=principal.network_id,
            advertiser_id=advertiser_id,
            status=change.status,
            reason=change.reason,
        )
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="advertiser",
            entity_id=advertiser_id,
            action="advertiser.status_changed",
            before={"status": row["status"]},
            after={"status": change.status},
            reason=change.reason,
        )
    return await get_advertiser(principal, advertiser_id)


async def get_webmaster(principal: Principal, webmaster_id: int) -> WebmasterOut:
    if principal.role == Role.WEBMASTER and principal.webmaster_id != webmaster_id:
        raise NotFoundError("webmaster not found")
    row = await repo.webmaster(tenant_id=principal.network_id, webmaster_id=webmaster_id)
    if row is None:
        raise NotFoundError("webmaster not found")
    return webmaster_out(row)


async def list_webmasters(
    principal: Principal, status: str | None, limit: int, offset: int, referred_by: int | None = None
) -> Page[WebmasterOut]:
    rows, total = await repo.webmasters_page(
        tenant_id=principal.network_id, status=status, referred_by=referred_by, limit=limit, offset=offset
    )
    return Page([webmaster_out(r) for r in rows], total, limit, offset)


async def list_referrals(
    principal: Principal, webmaster_id: int, limit: int, offset: int
) -> Page[ReferralOut]:
    """Who signed up with the webmaster's referral code, and what each has earned them."""
    await get_webmaster(principal, webmaster_id)
    found = await list_webmasters(principal, None, limit, offset, referred_by=webmaster_id)
    earned = await referral_earnings(principal, [w.id for w in found.items], referrer_id=webmaster_id)
    items = [
        ReferralOut(
            **msgspec.structs.asdict(w),
            earned=[EarnedOut(currency=c, amount=a) for c, a in earned.get(w.id, [])],
        )
        for w in found.items
    ]
    return Page(items, found.total, found.limit, found.offset)


async def set_webmaster_status(principal: Principal, webmaster_id: int, change: StatusChange) -> WebmasterOut:
    async with atomic():
        row = await repo.webmaster(tenant_id=principal.network_id, webmaster_id=webmaster_id)
        if row is None:
            raise NotFoundError("webmaster not found")
        _check_profile_transition(row["status"], change)
        await repo.set_webmaster_status(
            tenant_id=principal.network_id,
            webmaster_id=webmaster_id,
            status=change.status,
            reason=change.reason,
        )
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="webmaster",
            entity_id=webmaster_id,
            action="webmaster.status_changed",
            before={"status": row["status"]},
            after={"status": change.status},
            reason=change.reason,
        )
    return await get_webmaster(principal, webmaster_id)


async def _group_out(tenant_id: int, row: dict[str, Any]) -> GroupOut:
    members = await repo.group_members(tenant_id=tenant_id, group_id=row["id"])
    return GroupOut(id=row["id"], key=row["key"], name=row["name"], members=members)


async def list_groups(principal: Principal) -> list[GroupOut]:
    return [
        await _group_out(principal.network_id, r) for r in await repo.groups(tenant_id=principal.network_id)
    ]


async def get_group(principal: Principal, group_id: int) -> GroupOut:
    row = await repo.group(tenant_id=principal.network_id, group_id=group_id)
    if row is None:
        raise NotFoundError("group not found")
    return await _group_out(principal.network_id, row)


async def create_group(principal: Principal, data: GroupCreate) -> GroupOut:
    async with atomic():
        if await repo.group_by_key(tenant_id=principal.network_id, key=data.key):
            raise ConflictError(f"a group with key {data.key!r} exists")
        group_id = await repo.insert_group(tenant_id=principal.network_id, key=data.key, name=data.name)
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="group",
            entity_id=group_id,
            action="group.created",
            after={"key": data.key, "name": data.name},
        )
    return await get_group(principal, group_id)


async def set_group_member(
    principal: Principal, group_id: int, webmaster_id: int, *, member: bool
) -> GroupOut:
    tenant_id = principal.network_id
    async with atomic():
        if await repo.group(tenant_id=tenant_id, group_id=group_id) is None:
            raise NotFoundError("group not found")
        if await repo.webmaster(tenant_id=tenant_id, webmaster_id=webmaster_id) is None:
            raise NotFoundError("webmaster not found")
        if member:
            changed = await repo.add_group_member(
                tenant_id=tenant_id, group_id=group_id, webmaster_id=webmaster_id
            )
        else:
            changed = await repo.remove_group_member(
                tenant_id=tenant_id, group_id=group_id, webmaster_id=webmaster_id
            )
        if changed:
            await audit.record(
                network_id=tenant_id,
                actor=principal,
                entity="group",
                entity_id=group_id,
                action="group.member_added" if member else "group.member_removed",
                after={"webmaster_id": webmaster_id},
            )
    return await get_group(principal, group_id)
