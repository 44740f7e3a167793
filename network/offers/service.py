"""Offers: creation and editing by advertisers, moderation by staff, and the webmaster catalogue."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from network import jsoncol
from network.accounts import repository as accounts
from network.audit import service as audit
from network.errors import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from network.money import from_minor, to_minor
from network.offers import repository as repo
from network.offers.repository import ChildTable
from network.offers.schemas import (
    CapIn,
    CapOut,
    GoalIn,
    GoalOut,
    LandingIn,
    LandingOut,
    OfferCreate,
    OfferOut,
    OfferSummary,
    OfferUpdate,
    PromoIn,
    PromoOut,
    Targeting,
    Transition,
)
from network.offers.tables import Goal, Landing, OfferCap, PromoMaterial
from network.pagination import Page
from network.principal import Principal, Role
from network.transaction import atomic
from network.validation import check_host, check_url

ADV = frozenset({Role.ADVERTISER})
STAFF = frozenset({Role.NETWORK_ADMIN, Role.STAFF})
BOTH = ADV | STAFF

# (from, to) -> roles allowed. An advertiser never approves its own offer; resuming a paused offer as an
# advertiser sends it back to moderation, so a pause imposed by staff cannot be undone by the advertiser.
TRANSITIONS: dict[tuple[str, str], frozenset[Role]] = {
    ("draft", "pending"): BOTH,
    ("pending", "draft"): BOTH,
    ("pending", "active"): STAFF,
    ("active", "paused"): BOTH,
    ("paused", "pending"): ADV,
    ("paused", "active"): STAFF,
    ("draft", "archived"): BOTH,
    ("pending", "archived"): BOTH,
    ("active", "archived"): BOTH,
    ("paused", "archived"): BOTH,
}
# Staff actions that the advertiser must be able to read a reason for.
REASON_REQUIRED = {("pending", "draft"), ("active", "paused"), ("paused", "archived"), ("active", "archived")}

VISIBLE_ACCESS = {"invited", "approved"}


def _targeting_out(raw: Any) -> Targeting:
    return msgspec.convert(jsoncol.load(raw) or {}, Targeting)


def _caps_out(rows: list[dict[str, Any]], currency: str) -> list[CapOut]:
    out = []
    for r in rows:
        limit = (
            str(from_minor(r["limit_value"], currency)) if r["metric"] == "budget" else str(r["limit_value"])
        )
        out.append(CapOut(id=r["id"], period=r["period"], metric=r["metric"], scope=r["scope"], limit=limit))
    return out


async def _offer_out(tenant_id: int, row: dict[str, Any], my_access: str | None = None) -> OfferOut:
    kids = await repo.children(tenant_id=tenant_id, offer_id=row["id"])
    return OfferOut(
        id=row["id"],
        advertiser_id=row["advertiser"],
        name=row["name"],
        description=row["description"],
        category=row["category"],
        currency=row["currency"],
        status=row["status"],
        status_reason=row["status_reason"],
        visibility=row["visibility"],
        attribution_window_days=row["attribution_window_days"],
        cap_policy=row["cap_policy"],
        min_ctct_seconds=row["min_ctct_seconds"],
        max_ctct_seconds=row["max_ctct_seconds"],
        allowed_sources=list(jsoncol.load(row["allowed_sources"])),
        trafficback_url=row["trafficback_url"],
        targeting=_targeting_out(row["targeting"]),
        goals=[GoalOut(id=g["id"], key=g["key"], name=g["name"], kind=g["kind"]) for g in kids["goal"]],
        landings=[
            LandingOut(
                id=lp["id"],
                name=lp["name"],
                url_template=lp["url_template"],
                deep_link_hosts=list(jsoncol.load(lp["deep_link_hosts"])),
                is_default=lp["is_default"],
            )
            for lp in kids["landing"]
        ],
        promo_materials=[
            PromoOut(
                id=p["id"],
                kind=p["kind"],
                name=p["name"],
                url=p["url"],
                content=p["content"],
                width=p["width"],
                height=p["height"],
            )
            for p in kids["promo_material"]
        ],
        caps=_caps_out(kids["offer_cap"], row["currency"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        my_access=my_access,
    )


def _check_targeting(t: Targeting) -> str:
    if t.schedule is not None:
        try:
            ZoneInfo(t.schedule.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(
                f"targeting.schedule.timezone: unknown time zone {t.schedule.timezone!r}",
                field="targeting.schedule.timezone",
            ) from exc
    return jsoncol.dump(msgspec.to_builtins(t))


def _goal_rows(goals: list[GoalIn]) -> list[dict[str, Any]]:
    keys = [g.key for g in goals]
    if len(set(keys)) != len(keys):
        raise ValidationError("goal keys must be unique within an offer", field="goals")
    return [{"key": g.key, "name": g.name, "kind": g.kind} for g in goals]


def _landing_rows(landings: list[LandingIn]) -> list[dict[str, Any]]:
    defaults = [lp for lp in landings if lp.is_default]
    if len(defaults) > 1:
        raise ValidationError("only one landing page can be the default", field="landings")
    rows = []
    for i, lp in enumerate(landings):
        check_url(lp.url_template, field=f"landings[{i}].url_template")
        hosts = [check_host(h, field=f"landings[{i}].deep_link_hosts") for h in lp.deep_link_hosts]
        is_default = lp.is_default or (not defaults and i == 0)
        rows.append(
            {
                "name": lp.name,
                "url_template": lp.url_template,
                "deep_link_hosts": jsoncol.dump(hosts),
                "is_default": is_default,
            }
        )
    return rows


def _promo_rows(promos: list[PromoIn]) -> list[dict[str, Any]]:
    rows = []
    for i, p in enumerate(promos):
        if p.url:
            check_url(p.url, field=f"promo_materials[{i}].url", allow_macros=False)
        if p.kind == "banner" and not p.url:
            raise ValidationError("a banner needs the URL of its image", field=f"promo_materials[{i}].url")
        rows.append(msgspec.structs.asdict(p))
    return rows


def _cap_rows(caps: list[CapIn], currency: str) -> list[dict[str, Any]]:
    rows = []
    seen = set()
    for i, c in enumerate(caps):
        key = (c.period, c.metric, c.scope)
        if key in seen:
            raise ValidationError("two caps with the same period, metric and scope", field=f"caps[{i}]")
        seen.add(key)
        if c.metric == "budget":
            value = to_minor(c.limit, currency, field=f"caps[{i}].limit")
        elif "." in c.limit:
            raise ValidationError("click and conversion caps are whole numbers", field=f"caps[{i}].limit")
        else:
            value = int(c.limit)
        rows.append({"period": c.period, "metric": c.metric, "scope": c.scope, "limit_value": value})
    return rows


async def _webmaster_access_map(principal: Principal) -> dict[int, str]:
    if principal.webmaster_id is None:
        return {}
    rows = await repo.access_for_webmaster(
        tenant_id=principal.network_id, webmaster_id=principal.webmaster_id
    )
    return {int(r["offer"]): str(r["status"]) for r in rows}


def _webmaster_can_see(row: dict[str, Any], access: str | None) -> bool:
    if row["status"] == "active":
        return row["visibility"] != "private" or access in VISIBLE_ACCESS
    return row["status"] == "paused" and access == "approved"


async def load_visible(principal: Principal, offer_id: int) -> tuple[dict[str, Any], str | None]:
    """The offer row if this principal may see it; other networks' and hidden offers are "not found"."""
    row = await repo.offer(tenant_id=principal.network_id, offer_id=offer_id)
    if row is None:
        raise NotFoundError("offer not found")
    access = None
    if principal.role == Role.ADVERTISER and row["advertiser"] != principal.advertiser_id:
        raise NotFoundError("offer not found")
    if principal.role == Role.WEBMASTER:
        assert principal.webmaster_id is not None
        acc = await repo.access(
            tenant_id=principal.network_id, offer_id=offer_id, webmaster_id=principal.webmaster_id
        )
        access = acc["status"] if acc else "none"
        if not _webmaster_can_see(row, access):
            raise NotFoundError("offer not found")
    return row, access


async def load_managed(principal: Principal, offer_id: int) -> dict[str, Any]:
    """An offer the caller manages: its own advertiser, or staff. Anything else is "not found"."""
    row = await repo.offer(tenant_id=principal.network_id, offer_id=offer_id)
    if row is None or (principal.role == Role.ADVERTISER and row["advertiser"] != principal.advertiser_id):
        raise NotFoundError("offer not found")
    return row


async def get_offer(principal: Principal, offer_id: int) -> OfferOut:
    row, access = await load_visible(principal, offer_id)
    return await _offer_out(principal.network_id, row, access)


async def list_offers(
    principal: Principal,
    *,
    status: str | None,
    visibility: str | None,
    category: str | None,
    search: str | None,
    limit: int,
    offset: int,
) -> Page[OfferSummary]:
    access_map: dict[int, str] = {}
    kwargs: dict[str, Any] = {
        "advertiser_id": None,
        "statuses": [status] if status else None,
        "visibilities": [visibility] if visibility else None,
        "category": category,
        "search": search,
        "only_ids": None,
        "exclude_private_except": None,
    }
    if principal.role == Role.ADVERTISER:
        kwargs["advertiser_id"] = principal.advertiser_id
    elif principal.role == Role.WEBMASTER:
        access_map = await _webmaster_access_map(principal)
        approved = [o for o, s in access_map.items() if s == "approved"]
        if status == "paused":
            kwargs["statuses"], kwargs["only_ids"] = ["paused"], approved
        else:
            kwargs["statuses"] = ["active"]
            kwargs["exclude_private_except"] = [o for o, s in access_map.items() if s in VISIBLE_ACCESS]
    rows, total = await repo.offers_page(tenant_id=principal.network_id, limit=limit, offset=offset, **kwargs)
    items = [
        OfferSummary(
            id=r["id"],
            advertiser_id=r["advertiser"],
            name=r["name"],
            category=r["category"],
            currency=r["currency"],
            status=r["status"],
            visibility=r["visibility"],
            countries=list(_targeting_out(r["targeting"]).countries),
            my_access=access_map.get(r["id"], "none") if principal.role == Role.WEBMASTER else None,
        )
        for r in rows
    ]
    return Page(items, total, limit, offset)


async def create_offer(principal: Principal, data: OfferCreate) -> OfferOut:
    tenant_id = principal.network_id
    if principal.role == Role.ADVERTISER:
        if data.advertiser_id is not None and data.advertiser_id != principal.advertiser_id:
            raise PermissionDeniedError("an advertiser creates offers only for itself")
        advertiser_id = principal.advertiser_id
    else:
        if data.advertiser_id is None:
            raise ValidationError(
                "advertiser_id is required when staff create an offer", field="advertiser_id"
            )
        advertiser_id = data.advertiser_id
    assert advertiser_id is not None
    if await accounts.advertiser(tenant_id=tenant_id, advertiser_id=advertiser_id) is None:
        raise NotFoundError("advertiser not found")
    if data.trafficback_url:
        check_url(data.trafficback_url, field="trafficback_url")
    values = {
        "advertiser": advertiser_id,
        "name": data.name,
        "description": data.description,
        "category": data.category,
        "currency": data.currency,
        "status": "draft",
        "visibility": data.visibility,
        "attribution_window_days": data.attribution_window_days,
        "cap_policy": data.cap_policy,
        "min_ctct_seconds": data.min_ctct_seconds,
        "max_ctct_seconds": data.max_ctct_seconds,
        "allowed_sources": jsoncol.dump(data.allowed_sources),
        "trafficback_url": data.trafficback_url,
        "targeting": _check_targeting(data.targeting),
    }
    kids: dict[ChildTable, list[dict[str, Any]]] = {
        Goal: _goal_rows(data.goals),
        Landing: _landing_rows(data.landings),
        PromoMaterial: _promo_rows(data.promo_materials),
        OfferCap: _cap_rows(data.caps, data.currency),
    }
    async with atomic():
        offer_id = await repo.insert_offer(tenant_id=tenant_id, values=values)
        for table, rows in kids.items():
            await repo.replace_children(tenant_id=tenant_id, offer_id=offer_id, table=table, rows=rows)
        out = await _offer_out(tenant_id, await _row(tenant_id, offer_id))
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="offer",
            entity_id=offer_id,
            action="offer.created",
            after=msgspec.to_builtins(out),
        )
    return out


async def _row(tenant_id: int, offer_id: int) -> dict[str, Any]:
    row = await repo.offer(tenant_id=tenant_id, offer_id=offer_id)
    if row is None:
        raise NotFoundError("offer not found")
    return row


async def _editable(principal: Principal, offer_id: int) -> dict[str, Any]:
    row = await _row(principal.network_id, offer_id)
    if principal.role == Role.ADVERTISER and row["advertiser"] != principal.advertiser_id:
        raise NotFoundError("offer not found")
    return row


async def update_offer(principal: Principal, offer_id: int, data: OfferUpdate) -> OfferOut:
    tenant_id = principal.network_id
    async with atomic():
        row = await _editable(principal, offer_id)
        if row["status"] == "archived":
            raise ConflictError("an archived offer cannot be edited")
        before = msgspec.to_builtins(await _offer_out(tenant_id, row))
        values: dict[str, Any] = {}
        for field in (
            "name",
            "description",
            "category",
            "visibility",
            "attribution_window_days",
            "cap_policy",
            "min_ctct_seconds",
            "max_ctct_seconds",
        ):
            value = getattr(data, field)
            if value is not None:
                values[field] = value
        if data.allowed_sources is not None:
            values["allowed_sources"] = jsoncol.dump(data.allowed_sources)
        if data.trafficback_url is not None:
            if data.trafficback_url:
                check_url(data.trafficback_url, field="trafficback_url")
            values["trafficback_url"] = data.trafficback_url
        if data.targeting is not None:
            values["targeting"] = _check_targeting(data.targeting)
        kids: dict[ChildTable, list[dict[str, Any]]] = {}
        if data.goals is not None:
            kids[Goal] = _goal_rows(data.goals)
        if data.landings is not None:
            kids[Landing] = _landing_rows(data.landings)
        if data.promo_materials is not None:
            kids[PromoMaterial] = _promo_rows(data.promo_materials)
        if data.caps is not None:
            kids[OfferCap] = _cap_rows(data.caps, row["currency"])
        await repo.update_offer(tenant_id=tenant_id, offer_id=offer_id, values=values)
        for table, rows in kids.items():
            await repo.replace_children(tenant_id=tenant_id, offer_id=offer_id, table=table, rows=rows)
        out = await _offer_out(tenant_id, await _row(tenant_id, offer_id))
        changed_before, changed_after = audit.changes(before, msgspec.to_builtins(out))
        changed_before.pop("updated_at", None)
        changed_after.pop("updated_at", None)
        if changed_after:
            await audit.record(
                network_id=tenant_id,
                actor=principal,
                entity="offer",
                entity_id=offer_id,
                action="offer.updated",
                before=changed_before,
                after=changed_after,
            )
    return out


async def transition(principal: Principal, offer_id: int, data: Transition) -> OfferOut:
    tenant_id = principal.network_id
    async with atomic():
        row = await _editable(principal, offer_id)
        current = row["status"]
        allowed = TRANSITIONS.get((current, data.to))
        if allowed is None:
            raise InvalidTransitionError(f"an offer cannot go from {current} to {data.to}")
        if principal.role not in allowed:
            raise PermissionDeniedError(f"your role cannot move an offer from {current} to {data.to}")
        if principal.is_staff and (current, data.to) in REASON_REQUIRED and not data.reason.strip():
            raise ValidationError(
                "this moderation action needs a reason the advertiser can read", field="reason"
            )
        if data.to == "pending":
            adv = await accounts.advertiser(tenant_id=tenant_id, advertiser_id=row["advertiser"])
            if adv is None or adv["status"] != "active":
                raise ConflictError(
                    "the advertiser account must be active before its offers go to moderation"
                )
        await repo.update_offer(
            tenant_id=tenant_id, offer_id=offer_id, values={"status": data.to, "status_reason": data.reason}
        )
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="offer",
            entity_id=offer_id,
            action="offer.status_changed",
            before={"status": current},
            after={"status": data.to},
            reason=data.reason,
        )
        return await _offer_out(tenant_id, await _row(tenant_id, offer_id))
