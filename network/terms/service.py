"""Offer terms: publish immutable versions, resolve and pin them, price with them, and explain them."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from network import jsoncol
from network.accounts import repository as accounts
from network.audit import service as audit
from network.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from network.offers import repository as offers_repo
from network.offers.service import load_managed, load_visible
from network.principal import Principal, Role
from network.terms import repository as repo
from network.terms import resolution
from network.terms.schemas import (
    AcceptanceOut,
    AcceptIn,
    MyTermsOut,
    RuleProblemOut,
    TermsCreate,
    TermsRules,
    TermsVersionOut,
    ValidationOut,
)
from network.transaction import atomic
from rules import RuleError, RuleValidationError, TermsProgram, TermsResult, canonical_json, parse_rule

# A version may not take effect in the past: terms never change retroactively. A minute of slack absorbs
# clock skew between the caller and the server.
PAST_SLACK = timedelta(minutes=1)
_PROGRAMS: OrderedDict[int, TermsProgram] = OrderedDict()
_PROGRAM_CACHE_SIZE = 10_000


def now() -> datetime:
    return datetime.now(UTC)


def problems_out(exc: RuleValidationError) -> list[RuleProblemOut]:
    return [RuleProblemOut(pointer=p.pointer, code=p.code, message=p.message) for p in exc.problems]


def parse_rules(data: TermsRules) -> dict[str, Any]:
    return {name: getattr(data, name) for name in ("payout", "revenue", "hold_days", "status")}


def compile_terms(rules: dict[str, Any], currency: str) -> TermsProgram:
    try:
        return TermsProgram.from_rules(**rules, currency=currency)
    except RuleValidationError as exc:
        found = problems_out(exc)
        raise ValidationError(
            f"the terms have {len(found)} problem(s); first: {found[0].pointer}: {found[0].message}",
            problems=[msgspec.to_builtins(p) for p in found],
        ) from exc


def validate(data: TermsRules, currency: str = "USD") -> ValidationOut:
    try:
        compile_terms(parse_rules(data), currency)
    except ValidationError as exc:
        return ValidationOut(valid=False, problems=[RuleProblemOut(**p) for p in exc.extra["problems"]])
    return ValidationOut(valid=True, problems=[])


def program(row: dict[str, Any]) -> TermsProgram:
    """The compiled terms of a stored version; versions are immutable, so the cache never goes stale."""
    cached = _PROGRAMS.get(row["id"])
    if cached is not None and cached.version == row["version_hash"]:
        _PROGRAMS.move_to_end(row["id"])
        return cached
    compiled = TermsProgram.from_rules(**parse_rule(row["rules"]), currency=row["currency"])
    _PROGRAMS[row["id"]] = compiled
    if len(_PROGRAMS) > _PROGRAM_CACHE_SIZE:
        _PROGRAMS.popitem(last=False)
    return compiled


def _rules_out(row: dict[str, Any], *, hide_revenue: bool) -> dict[str, msgspec.Raw]:
    rules = parse_rule(row["rules"])
    return {
        name: msgspec.Raw(canonical_json(rule).encode())
        for name, rule in rules.items()
        if not (hide_revenue and name == "revenue")
    }


def version_out(
    row: dict[str, Any], state: str, *, hide_revenue: bool, accepted_at: datetime | None = None
) -> TermsVersionOut:
    return TermsVersionOut(
        id=row["id"],
        offer_id=row["offer"],
        number=row["number"],
        scope=row["scope"],
        webmaster_id=row["webmaster"],
        group_id=row["group"],
        rules=_rules_out(row, hide_revenue=hide_revenue),
        currency=row["currency"],
        version_hash=row["version_hash"],
        effective_from=row["effective_from"],
        state=state,  # type: ignore[arg-type]
        note=row["note"],
        created_at=row["created_at"],
        accepted_at=accepted_at,
    )


async def _webmaster_view(principal: Principal) -> tuple[int, list[int]]:
    assert principal.webmaster_id is not None
    groups = await accounts.webmaster_group_ids(
        tenant_id=principal.network_id, webmaster_id=principal.webmaster_id
    )
    return principal.webmaster_id, groups


async def publish(principal: Principal, offer_id: int, data: TermsCreate) -> TermsVersionOut:
    tenant_id = principal.network_id
    offer = await load_managed(principal, offer_id)
    rules = parse_rules(data.rules)
    compiled = compile_terms(rules, offer["currency"])
    effective = data.effective_from or now()
    if effective.tzinfo is None:
        raise ValidationError(
            "effective_from needs a time zone offset, e.g. 2026-12-01T00:00:00Z", field="effective_from"
        )
    if effective < now() - PAST_SLACK:
        raise ValidationError(
            "effective_from is in the past: terms never change retroactively", field="effective_from"
        )
    if data.webmaster_id is not None and data.group_id is not None:
        raise ValidationError("a version is for one webmaster or one group, not both", field="group_id")
    scope = "offer"
    if data.webmaster_id is not None:
        if await accounts.webmaster(tenant_id=tenant_id, webmaster_id=data.webmaster_id) is None:
            raise NotFoundError("webmaster not found")
        scope = "webmaster"
    if data.group_id is not None:
        if principal.role == Role.ADVERTISER:
            raise PermissionDeniedError("webmaster groups belong to the network: ask staff for group terms")
        if await accounts.group(tenant_id=tenant_id, group_id=data.group_id) is None:
            raise NotFoundError("group not found")
        scope = "group"
    text = canonical_json(rules)
    async with atomic():
        number = await repo.next_number(tenant_id=tenant_id, offer_id=offer_id)
        values = {
            "offer": offer_id,
            "number": number,
            "scope": scope,
            "group": data.group_id,
            "webmaster": data.webmaster_id,
            "rules": text,
            "currency": compiled.currency,
            "version_hash": compiled.version,
            "effective_from": effective,
            "note": data.note,
            "created_by": str(principal.user_id),
        }
        version_id = await repo.insert_version(tenant_id=tenant_id, values=values)
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="terms",
            entity_id=version_id,
            action="terms.published",
            after={
                "offer_id": offer_id,
                "number": number,
                "scope": scope,
                "webmaster_id": data.webmaster_id,
                "group_id": data.group_id,
                "effective_from": effective.isoformat(),
                "version_hash": compiled.version,
                "rules": jsoncol.load(text),
            },
            reason=data.note,
        )
    row = await repo.version(tenant_id=tenant_id, version_id=version_id)
    assert row is not None
    rows = await repo.versions(tenant_id=tenant_id, offer_id=offer_id)
    return version_out(row, resolution.states(rows, now())[version_id], hide_revenue=False)


async def list_versions(principal: Principal, offer_id: int) -> list[TermsVersionOut]:
    await load_visible(principal, offer_id)
    rows = await repo.versions(tenant_id=principal.network_id, offer_id=offer_id)
    state = resolution.states(rows, now())
    if principal.role != Role.WEBMASTER:
        # Staff, and an advertiser on its own offers, see every version with revenue (the advertiser's price).
        return [version_out(r, state[r["id"]], hide_revenue=False) for r in rows]
    webmaster_id, groups = await _webmaster_view(principal)
    accepted = {
        a["terms_version"]: a["accepted_at"]
        for a in await repo.acceptances(tenant_id=principal.network_id, webmaster_id=webmaster_id)
    }
    return [
        version_out(r, state[r["id"]], hide_revenue=True, accepted_at=accepted.get(r["id"]))
        for r in rows
        if resolution.applies_to(r, webmaster_id, groups)
    ]


async def get_version(principal: Principal, offer_id: int, version_id: int) -> TermsVersionOut:
    for version in await list_versions(principal, offer_id):
        if version.id == version_id:
            return version
    raise NotFoundError("terms version not found")


async def stored_version(principal: Principal, offer_id: int, version_id: int) -> dict[str, Any]:
    row = await repo.version(tenant_id=principal.network_id, version_id=version_id)
    if row is None or row["offer"] != offer_id:
        raise NotFoundError("terms version not found")
    return row


async def pin(*, tenant_id: int, offer_id: int, webmaster_id: int, at: datetime) -> int | None:
    """The id of the version in force for this webmaster at ``at``: what a click records."""
    rows = await repo.versions(tenant_id=tenant_id, offer_id=offer_id)
    groups = await accounts.webmaster_group_ids(tenant_id=tenant_id, webmaster_id=webmaster_id)
    row = resolution.in_force(rows, webmaster_id, groups, at)
    return None if row is None else int(row["id"])


_ROWS: OrderedDict[tuple[int, int], dict[str, Any]] = OrderedDict()


async def pinned_version(*, tenant_id: int, version_id: int) -> dict[str, Any]:
    """A stored version row, cached: versions are immutable (the database refuses UPDATE and DELETE)."""
    key = (tenant_id, version_id)
    row = _ROWS.get(key)
    if row is None:
        found = await repo.version(tenant_id=tenant_id, version_id=version_id)
        if found is None:
            raise NotFoundError("terms version not found")
        row = _ROWS[key] = found
        if len(_ROWS) > _PROGRAM_CACHE_SIZE:
            _ROWS.popitem(last=False)
    return row


def uses(row: dict[str, Any], variable: str) -> bool:
    """Whether the version's rules read ``variable`` (so that costly inputs are computed only when used)."""
    return variable in str(row["rules"])


async def price(
    *, tenant_id: int, version_id: int, context: dict[str, Any], trace: bool = False
) -> TermsResult:
    """Price a conversion with the pinned version, whatever has been published since."""
    row = await pinned_version(tenant_id=tenant_id, version_id=version_id)
    try:
        return program(row).evaluate(context, trace=trace)
    except RuleError as exc:
        raise ValidationError(f"the terms could not be evaluated: {exc}") from exc


async def accept(principal: Principal, offer_id: int, version_id: int, data: AcceptIn) -> AcceptanceOut:
    webmaster_id, groups = await _webmaster_view(principal)
    _, access = await load_visible(principal, offer_id)
    if access != "approved":
        raise ConflictError("join the offer before accepting its terms")
    row = await stored_version(principal, offer_id, version_id)
    if not resolution.applies_to(row, webmaster_id, groups):
        raise NotFoundError("terms version not found")
    rows = await repo.versions(tenant_id=principal.network_id, offer_id=offer_id)
    if resolution.states(rows, now())[version_id] == "superseded":
        raise ConflictError("this version has been superseded; accept the one in force")
    if data.valid_until is not None and data.valid_until <= max(now(), row["effective_from"]):
        raise ValidationError("valid_until must be after the version takes effect", field="valid_until")
    async with atomic():
        if await repo.acceptance(
            tenant_id=principal.network_id, version_id=version_id, webmaster_id=webmaster_id
        ):
            raise ConflictError("you have already accepted this version")
        await repo.insert_acceptance(
            tenant_id=principal.network_id,
            version_id=version_id,
            webmaster_id=webmaster_id,
            valid_until=data.valid_until,
        )
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="terms",
            entity_id=version_id,
            action="terms.accepted",
            after={
                "webmaster_id": webmaster_id,
                "valid_until": data.valid_until.isoformat() if data.valid_until else None,
            },
        )
    accepted = await repo.acceptance(
        tenant_id=principal.network_id, version_id=version_id, webmaster_id=webmaster_id
    )
    assert accepted is not None
    return AcceptanceOut(
        terms_version_id=version_id,
        webmaster_id=webmaster_id,
        accepted_at=accepted["accepted_at"],
        valid_until=accepted["valid_until"],
    )


async def my_terms(principal: Principal) -> list[MyTermsOut]:
    """For every offer the webmaster has joined: the terms in force for them now and every coming change."""
    webmaster_id, groups = await _webmaster_view(principal)
    tenant_id = principal.network_id
    accepted = {
        a["terms_version"]: a["accepted_at"]
        for a in await repo.acceptances(tenant_id=tenant_id, webmaster_id=webmaster_id)
    }
    out = []
    moment = now()
    for access in await offers_repo.access_for_webmaster(tenant_id=tenant_id, webmaster_id=webmaster_id):
        if access["status"] != "approved":
            continue
        rows = await repo.versions(tenant_id=tenant_id, offer_id=access["offer"])
        current = resolution.in_force(rows, webmaster_id, groups, moment)
        coming = resolution.upcoming(rows, webmaster_id, groups, moment)
        out.append(
            MyTermsOut(
                offer_id=access["offer"],
                in_force=None
                if current is None
                else version_out(
                    current, "in_force", hide_revenue=True, accepted_at=accepted.get(current["id"])
                ),
                upcoming=[
                    version_out(r, "upcoming", hide_revenue=True, accepted_at=accepted.get(r["id"]))
                    for r in coming
                ],
            )
        )
    return out
