"""Smartlinks: one link that rotates a webmaster's traffic among several offers by weight (docs/clicks.md).

Staff make the network's smartlinks, which every webmaster may use; a webmaster makes their own. The click
engine routes ``/s/{id}?wm=`` on the snapshot (fastpath), which compiles the active ones
(network/tracking/snapshot.py). Every change writes an audit row in its transaction: that row is also what
makes click nodes rebuild their snapshot (network/tracking/registry.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from network.audit import service as audit
from network.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from network.offers import repository as offers
from network.offers.service import load_visible
from network.pagination import Page
from network.principal import Principal, Role
from network.tenants import repository as tenants
from network.tracking import repository as repo
from network.tracking.schemas import (
    SmartlinkCreate,
    SmartlinkOfferIn,
    SmartlinkOfferOut,
    SmartlinkOut,
    SmartlinkUpdate,
)
from network.transaction import atomic

# Offer statuses a smartlink may list: a paused offer is skipped by the engine until it runs again; drafts,
# offers in moderation and archived ones never take traffic.
LISTABLE = frozenset({"active", "paused"})


async def tracking_base(tenant_id: int, public_base_url: str) -> str:
    """``scheme://tracking-host`` of the network, as offer links are built (network/tracking/service.py)."""
    network = await tenants.get(tenant_id=tenant_id)
    assert network is not None
    scheme = urlsplit(public_base_url).scheme or "https"
    return f"{scheme}://{network['tracking_host']}"


def _checker(principal: Principal, owner: int | None) -> Principal:
    """Whose view of the offers decides what a smartlink may list: its owner's, even when staff edit it, so
    that a webmaster's smartlink only ever lists offers that webmaster has joined."""
    if owner is None or principal.webmaster_id == owner:
        return principal
    return Principal(
        network_id=principal.network_id, user_id=principal.user_id, role=Role.WEBMASTER, webmaster_id=owner
    )


async def _checked_offers(
    principal: Principal, owner: int | None, given: list[SmartlinkOfferIn]
) -> list[tuple[int, int]]:
    ids = [o.offer_id for o in given]
    if len(set(ids)) != len(ids):
        raise ValidationError("an offer can be listed only once in a smartlink", field="offers")
    checker = _checker(principal, owner)
    for i, entry in enumerate(given):
        try:
            row, access = await load_visible(checker, entry.offer_id)
        except NotFoundError:
            raise NotFoundError(
                f"offers[{i}].offer_id: offer {entry.offer_id} not found", field=f"offers[{i}].offer_id"
            ) from None
        if row["status"] not in LISTABLE:
            raise ValidationError(
                f"offers[{i}].offer_id: offer {entry.offer_id} is {row['status']}; "
                "a smartlink lists active or paused offers",
                field=f"offers[{i}].offer_id",
            )
        if checker.role == Role.WEBMASTER and access != "approved":
            raise ConflictError(
                f"offers[{i}].offer_id: join offer {entry.offer_id} first; "
                "a smartlink sends traffic only to offers its webmaster runs",
                field=f"offers[{i}].offer_id",
            )
    return [(o.offer_id, o.weight) for o in given]


def _state(row: dict[str, Any], entries: list[tuple[int, int]]) -> dict[str, Any]:
    """What the audit log keeps of a smartlink (its tracking URL depends on the reader)."""
    return {
        "name": row["name"],
        "status": row["status"],
        "webmaster_id": row["webmaster"],
        "offers": [[offer_id, weight] for offer_id, weight in entries],
    }


class _Reader:
    """Renders smartlinks for one caller: their tracking URL, and for a webmaster reading one of the
    network's smartlinks, only the offers it can send their traffic to (no private offer ids leak)."""

    def __init__(self, principal: Principal, base: str, approved: frozenset[int]) -> None:
        self.principal = principal
        self.base = base
        self.approved = approved

    @classmethod
    async def for_caller(cls, principal: Principal, public_base_url: str) -> _Reader:
        approved: frozenset[int] = frozenset()
        if principal.webmaster_id is not None:
            rows = await offers.access_for_webmaster(
                tenant_id=principal.network_id, webmaster_id=principal.webmaster_id
            )
            approved = frozenset(int(r["offer"]) for r in rows if r["status"] == "approved")
        return cls(principal, await tracking_base(principal.network_id, public_base_url), approved)

    def out(self, row: dict[str, Any], entries: list[dict[str, Any]]) -> SmartlinkOut:
        owner = row["webmaster"]
        is_webmaster = self.principal.role == Role.WEBMASTER
        if is_webmaster and owner is None:
            entries = [
                e for e in entries if int(e["offer"]) in self.approved and e["offer_status"] in LISTABLE
            ]
        wm = self.principal.webmaster_id if is_webmaster else owner
        url = f"{self.base}/s/{row['id']}?{urlencode([('wm', str(wm))])}" if wm is not None else None
        return SmartlinkOut(
            id=row["id"],
            name=row["name"],
            status=row["status"],
            webmaster_id=owner,
            offers=[
                SmartlinkOfferOut(
                    offer_id=e["offer"],
                    weight=e["weight"],
                    offer_name=e["offer_name"],
                    offer_status=e["offer_status"],
                )
                for e in entries
            ],
            tracking_url=url,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


def _owner_of(principal: Principal) -> int | None:
    if principal.role == Role.WEBMASTER:
        assert principal.webmaster_id is not None
        return principal.webmaster_id
    if principal.is_staff:
        return None
    raise PermissionDeniedError("advertisers do not use smartlinks")


async def _visible(principal: Principal, smartlink_id: int) -> dict[str, Any]:
    """The smartlink if this caller may see it: staff see all of the network's, a webmaster the network's and
    their own. Anything else, other networks' included, is "not found"."""
    row = await repo.smartlink(tenant_id=principal.network_id, smartlink_id=smartlink_id)
    if row is None or principal.role == Role.ADVERTISER:
        raise NotFoundError("smartlink not found")
    if principal.role == Role.WEBMASTER and row["webmaster"] not in (None, principal.webmaster_id):
        raise NotFoundError("smartlink not found")
    return row


async def _render(principal: Principal, row: dict[str, Any], public_base_url: str) -> SmartlinkOut:
    entries = await repo.entries(tenant_id=principal.network_id, smartlink_ids=[int(row["id"])])
    reader = await _Reader.for_caller(principal, public_base_url)
    return reader.out(row, entries.get(int(row["id"]), []))


async def create(principal: Principal, data: SmartlinkCreate, public_base_url: str) -> SmartlinkOut:
    tenant_id = principal.network_id
    owner = _owner_of(principal)
    async with atomic():
        entries = await _checked_offers(principal, owner, data.offers)
        smartlink_id = await repo.insert_smartlink(
            tenant_id=tenant_id, webmaster_id=owner, name=data.name, status=data.status
        )
        await repo.replace_entries(tenant_id=tenant_id, smartlink_id=smartlink_id, offers=entries)
        row = await repo.smartlink(tenant_id=tenant_id, smartlink_id=smartlink_id)
        assert row is not None
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="smartlink",
            entity_id=smartlink_id,
            action="smartlink.created",
            after=_state(row, entries),
        )
    return await _render(principal, row, public_base_url)


async def update(
    principal: Principal, smartlink_id: int, data: SmartlinkUpdate, public_base_url: str
) -> SmartlinkOut:
    tenant_id = principal.network_id
    async with atomic():
        row = await _visible(principal, smartlink_id)
        if principal.role == Role.WEBMASTER and row["webmaster"] is None:
            raise PermissionDeniedError("the network's smartlinks are managed by staff")
        current = await repo.entries(tenant_id=tenant_id, smartlink_ids=[smartlink_id])
        old_entries = [(int(e["offer"]), int(e["weight"])) for e in current.get(smartlink_id, [])]
        new_entries = old_entries
        if data.offers is not None:
            new_entries = await _checked_offers(principal, row["webmaster"], data.offers)
        values = {k: v for k, v in (("name", data.name), ("status", data.status)) if v is not None}
        before, after = audit.changes(_state(row, old_entries), _state({**row, **values}, new_entries))
        if after:
            await repo.update_smartlink(tenant_id=tenant_id, smartlink_id=smartlink_id, values=values)
            if new_entries != old_entries:
                await repo.replace_entries(tenant_id=tenant_id, smartlink_id=smartlink_id, offers=new_entries)
            await audit.record(
                network_id=tenant_id,
                actor=principal,
                entity="smartlink",
                entity_id=smartlink_id,
                action="smartlink.updated",
                before=before,
                after=after,
            )
            row = await _visible(principal, smartlink_id)
    return await _render(principal, row, public_base_url)


async def get(principal: Principal, smartlink_id: int, public_base_url: str) -> SmartlinkOut:
    return await _render(principal, await _visible(principal, smartlink_id), public_base_url)


async def list_smartlinks(
    principal: Principal, *, status: str | None, limit: int, offset: int, public_base_url: str
) -> Page[SmartlinkOut]:
    """Staff: every smartlink of the network. A webmaster: the network's and their own."""
    if principal.role == Role.ADVERTISER:
        raise PermissionDeniedError("advertisers do not use smartlinks")
    rows, total = await repo.smartlinks_page(
        tenant_id=principal.network_id,
        webmaster_id=principal.webmaster_id if principal.role == Role.WEBMASTER else None,
        status=status,
        limit=limit,
        offset=offset,
    )
    entries = await repo.entries(tenant_id=principal.network_id, smartlink_ids=[int(r["id"]) for r in rows])
    reader = await _Reader.for_caller(principal, public_base_url)
    return Page([reader.out(r, entries.get(int(r["id"]), [])) for r in rows], total, limit, offset)
