"""Offer access: webmasters join offers; advertisers and staff approve, decline, invite and revoke."""

from __future__ import annotations

from typing import Any

from network.accounts import repository as accounts
from network.audit import service as audit
from network.errors import ConflictError, InvalidTransitionError, NotFoundError, PermissionDeniedError
from network.errors import ValidationError as DomainValidationError
from network.offers import repository as repo
from network.offers.schemas import AccessDecision, AccessOut, AccessRequest, AccessRevoke, Invitation
from network.offers.service import load_managed, load_visible
from network.pagination import Page
from network.principal import Principal
from network.transaction import atomic


def access_out(row: dict[str, Any]) -> AccessOut:
    return AccessOut(
        offer_id=row["offer"],
        webmaster_id=row["webmaster"],
        status=row["status"],
        reason=row["reason"],
        message=row["message"],
        updated_at=row["updated_at"],
    )


async def _set(
    principal: Principal,
    offer_id: int,
    webmaster_id: int,
    before: str,
    after: str,
    reason: str = "",
    message: str | None = None,
) -> AccessOut:
    await repo.upsert_access(
        tenant_id=principal.network_id,
        offer_id=offer_id,
        webmaster_id=webmaster_id,
        status=after,
        reason=reason,
        message=message,
    )
    await audit.record(
        network_id=principal.network_id,
        actor=principal,
        entity="offer_access",
        entity_id=f"{offer_id}:{webmaster_id}",
        action=f"offer_access.{after}",
        before={"status": before},
        after={"status": after},
        reason=reason,
    )
    row = await repo.access(tenant_id=principal.network_id, offer_id=offer_id, webmaster_id=webmaster_id)
    assert row is not None
    return access_out(row)


async def request_access(principal: Principal, offer_id: int, data: AccessRequest) -> AccessOut:
    assert principal.webmaster_id is not None
    wm = await accounts.webmaster(tenant_id=principal.network_id, webmaster_id=principal.webmaster_id)
    if wm is None or wm["status"] != "active":
        raise PermissionDeniedError("your webmaster account is awaiting approval by the network")
    async with atomic():
        offer, current = await load_visible(principal, offer_id)
        if offer["status"] != "active":
            raise ConflictError("this offer is not accepting webmasters right now")
        if current in {"approved", "requested"}:
            raise ConflictError(f"you already have access state '{current}' on this offer")
        if current == "revoked":
            raise ConflictError("your access to this offer was revoked; contact the network to restore it")
        # Public offers and invitations are approved at once; approval-required offers wait for a decision.
        if offer["visibility"] == "public" or current == "invited":
            return await _set(
                principal,
                offer_id,
                principal.webmaster_id,
                current or "none",
                "approved",
                message=data.message,
            )
        return await _set(
            principal, offer_id, principal.webmaster_id, current or "none", "requested", message=data.message
        )


async def decide(principal: Principal, offer_id: int, webmaster_id: int, data: AccessDecision) -> AccessOut:
    async with atomic():
        await load_managed(principal, offer_id)
        row = await repo.access(tenant_id=principal.network_id, offer_id=offer_id, webmaster_id=webmaster_id)
        if row is None:
            raise NotFoundError("no access request from this webmaster")
        if row["status"] != "requested":
            raise InvalidTransitionError(f"the request is {row['status']}, not awaiting a decision")
        if data.decision == "decline" and not data.reason.strip():
            raise DomainValidationError(
                "a declined request needs a reason the webmaster can read", field="reason"
            )
        after = "approved" if data.decision == "approve" else "declined"
        return await _set(principal, offer_id, webmaster_id, "requested", after, reason=data.reason)


async def invite(principal: Principal, offer_id: int, data: Invitation) -> AccessOut:
    async with atomic():
        await load_managed(principal, offer_id)
        wm = await accounts.webmaster(tenant_id=principal.network_id, webmaster_id=data.webmaster_id)
        if wm is None:
            raise NotFoundError("webmaster not found")
        row = await repo.access(
            tenant_id=principal.network_id, offer_id=offer_id, webmaster_id=data.webmaster_id
        )
        current = row["status"] if row else "none"
        if current in {"approved", "invited"}:
            raise ConflictError(f"this webmaster is already {current}")
        return await _set(principal, offer_id, data.webmaster_id, current, "invited", message=data.message)


async def revoke(principal: Principal, offer_id: int, webmaster_id: int, data: AccessRevoke) -> AccessOut:
    async with atomic():
        await load_managed(principal, offer_id)
        row = await repo.access(tenant_id=principal.network_id, offer_id=offer_id, webmaster_id=webmaster_id)
        if row is None:
            raise NotFoundError("this webmaster has no access to revoke")
        if row["status"] not in {"approved", "invited", "requested"}:
            raise InvalidTransitionError(f"access is {row['status']}; nothing to revoke")
        return await _set(principal, offer_id, webmaster_id, row["status"], "revoked", reason=data.reason)


async def list_for_offer(
    principal: Principal, offer_id: int, status: str | None, limit: int, offset: int
) -> Page[AccessOut]:
    await load_managed(principal, offer_id)
    rows, total = await repo.access_for_offer(
        tenant_id=principal.network_id, offer_id=offer_id, status=status, limit=limit, offset=offset
    )
    return Page([access_out(r) for r in rows], total, limit, offset)


async def list_mine(principal: Principal) -> list[AccessOut]:
    assert principal.webmaster_id is not None
    rows = await repo.access_for_webmaster(
        tenant_id=principal.network_id, webmaster_id=principal.webmaster_id
    )
    return [access_out(r) for r in rows]
