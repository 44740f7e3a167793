"""Staff traffic lists: block or allow an IP or CIDR, a sub id value, a referrer domain or a webmaster in the
click engine's fraud filter, with a reason, for one network.

- A blocked click is still redirected (network policy) but is invalid and never billable; its reason code is
  ``blocked_ip``, ``blocked_sub``, ``blocked_referrer`` or ``blocked_webmaster`` (docs/fastpath.md). An allow
  entry beats a block entry of the same kind; an allowed IP also skips the data-centre check.
- Values are normalised: an IP or CIDR to its network form (``10.1.2.3/16`` -> ``10.1.0.0/16``), a domain to
  lower case without a leading dot (it covers its subdomains), a webmaster to the id of a webmaster of this
  network. A sub value matches any of sub1..sub10 of any webmaster of the network, exactly.
- One active entry per (kind, action, value): adding it again is a 409. Removing sets ``removed_at`` with who
  and why; nothing is deleted. Adding and removing write audit rows, which is what makes every click node
  rebuild its snapshot (network/tracking/registry.py polls the audit log), so a change applies within about a
  second.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import Any

from fastpath import ListsSpec
from network.accounts import repository as accounts
from network.audit import service as audit
from network.errors import ConflictError, NotFoundError
from network.errors import ValidationError as DomainValidationError
from network.lists.schemas import ListEntryCreate, ListEntryOut, ListEntryRemove
from network.lists.tables import TrafficListEntry
from network.pagination import Page
from network.principal import Principal
from network.transaction import atomic

DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def _out(row: dict[str, Any]) -> ListEntryOut:
    return ListEntryOut(
        id=int(row["id"]),
        kind=row["kind"],
        action=row["action"],
        value=row["value"],
        reason=row["reason"],
        created_by=int(row["created_by"]),
        created_at=row["created_at"],
        removed_at=row["removed_at"],
        removed_by=row["removed_by"],
        removed_reason=row["removed_reason"],
    )


async def normalise(tenant_id: int, kind: str, value: str) -> str:
    raw = value.strip()
    if kind == "ip":
        try:
            return str(ipaddress.ip_network(raw, strict=False))
        except ValueError:
            raise DomainValidationError(
                "value: an IPv4 or IPv6 address or CIDR such as 203.0.113.7 or 2001:db8::/32", field="value"
            ) from None
    if kind == "referrer_domain":
        domain = raw.lower().lstrip(".")
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            domain = ""
        if not DOMAIN.fullmatch(domain):
            raise DomainValidationError("value: a domain such as ads.example.com", field="value")
        return domain
    if kind == "webmaster":
        if not raw.isdigit() or await accounts.webmaster(tenant_id=tenant_id, webmaster_id=int(raw)) is None:
            raise DomainValidationError("value: the id of a webmaster of this network", field="value")
        return str(int(raw))
    if not raw:
        raise DomainValidationError("value: a sub id value", field="value")
    return raw  # sub: matched exactly, as the click carries it


async def add(principal: Principal, data: ListEntryCreate) -> ListEntryOut:
    tenant_id = principal.network_id
    value = await normalise(tenant_id, data.kind, data.value)
    reason = data.reason.strip()
    if not reason:
        raise DomainValidationError("a list entry needs a reason", field="reason")
    async with atomic():
        existing = await TrafficListEntry.exists().where(
            (TrafficListEntry.network == tenant_id)
            & (TrafficListEntry.kind == data.kind)
            & (TrafficListEntry.action == data.action)
            & (TrafficListEntry.value == value)
            & TrafficListEntry.removed_at.is_null()
        )
        if existing:
            raise ConflictError(f"{value} is already on the {data.action} list", field="value")
        rows = await TrafficListEntry.insert(
            TrafficListEntry(
                network=tenant_id,
                kind=data.kind,
                action=data.action,
                value=value,
                reason=reason,
                created_by=principal.user_id,
            )
        ).returning(TrafficListEntry.id)
        entry_id = int(rows[0]["id"])
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="traffic_list",
            entity_id=entry_id,
            action="traffic_list.blocked" if data.action == "block" else "traffic_list.allowed",
            after={"kind": data.kind, "action": data.action, "value": value},
            reason=reason,
        )
    return await get(principal, entry_id)


async def get(principal: Principal, entry_id: int) -> ListEntryOut:
    row = (
        await TrafficListEntry.select()
        .where((TrafficListEntry.network == principal.network_id) & (TrafficListEntry.id == entry_id))
        .first()
    )
    if row is None:
        raise NotFoundError("list entry not found")
    return _out(row)


async def remove(principal: Principal, entry_id: int, data: ListEntryRemove) -> ListEntryOut:
    reason = data.reason.strip()
    if not reason:
        raise DomainValidationError("removing a list entry needs a reason", field="reason")
    async with atomic():
        entry = await get(principal, entry_id)
        if entry.removed_at is not None:
            raise ConflictError("this list entry was already removed")
        changed = (
            await TrafficListEntry.update(
                {
                    TrafficListEntry.removed_at: datetime.now(UTC),
                    TrafficListEntry.removed_by: principal.user_id,
                    TrafficListEntry.removed_reason: reason,
                }
            )
            .where(
                (TrafficListEntry.network == principal.network_id)
                & (TrafficListEntry.id == entry_id)
                & TrafficListEntry.removed_at.is_null()
            )
            .returning(TrafficListEntry.id)
        )
        if not changed:  # removed by someone else since it was read
            raise ConflictError("this list entry was already removed")
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="traffic_list",
            entity_id=entry_id,
            action="traffic_list.removed",
            before={"kind": entry.kind, "action": entry.action, "value": entry.value},
            reason=reason,
        )
    return await get(principal, entry_id)


async def list_entries(
    principal: Principal,
    *,
    kind: str | None = None,
    include_removed: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Page[ListEntryOut]:
    where: Any = TrafficListEntry.network == principal.network_id
    if kind:
        where = where & (TrafficListEntry.kind == kind)
    if not include_removed:
        where = where & TrafficListEntry.removed_at.is_null()
    rows = (
        await TrafficListEntry.select()
        .where(where)
        .order_by(TrafficListEntry.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total = await TrafficListEntry.count().where(where)
    return Page(items=[_out(r) for r in rows], total=total, limit=limit, offset=offset)


async def lists_spec(tenant_id: int) -> ListsSpec:
    """The network's active entries as the click engine takes them."""
    rows = await TrafficListEntry.select(
        TrafficListEntry.kind, TrafficListEntry.action, TrafficListEntry.value
    ).where((TrafficListEntry.network == tenant_id) & TrafficListEntry.removed_at.is_null())
    sets: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        sets.setdefault((row["kind"], row["action"]), []).append(row["value"])

    def values(kind: str, action: str) -> list[str]:
        return sorted(sets.get((kind, action), []))

    return ListsSpec(
        blocked_ips=tuple(values("ip", "block")),
        allowed_ips=tuple(values("ip", "allow")),
        blocked_subs=frozenset(values("sub", "block")),
        allowed_subs=frozenset(values("sub", "allow")),
        blocked_referrer_domains=frozenset(values("referrer_domain", "block")),
        allowed_referrer_domains=frozenset(values("referrer_domain", "allow")),
        blocked_webmasters=frozenset(int(v) for v in values("webmaster", "block")),
        allowed_webmasters=frozenset(int(v) for v in values("webmaster", "allow")),
    )
