from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody

from network.errors import ValidationError
from network.http.auth import roles
from network.http.deps import PrincipalDep
from network.principal import Role
from network.terms import service, tools
from network.terms.schemas import (
    AcceptanceOut,
    AcceptIn,
    BacktestIn,
    BacktestOut,
    DiffOut,
    DryRunIn,
    DryRunOut,
    MyTermsOut,
    TermsCreate,
    TermsRules,
    TermsVersionOut,
    ValidationOut,
)
from network.types import MAX_ID, IdPath
from rules import RuleError, parse_rule

A, S, ADV, WM = Role.NETWORK_ADMIN, Role.STAFF, Role.ADVERTISER, Role.WEBMASTER


async def exact_body(request: Request[Any, Any, Any]) -> Any:
    """The request body again, read with exact numbers (Decimal for fractions); the struct already checked
    its shape, so this only swaps float values for exact ones."""
    try:
        return parse_rule(await request.body())
    except RuleError as exc:
        raise ValidationError(f"the request body is not usable JSON: {exc}") from exc


def exact_rules(value: Any) -> TermsRules:
    return TermsRules(**value)


class TermsController(Controller):
    path = "/api/v1/offers/{offer_id:int}/terms"
    tags = ["terms"]

    @post("/", operation_id="terms_publish", opt=roles(A, S, ADV), status_code=201)
    async def publish(
        self, principal: PrincipalDep, offer_id: IdPath, data: JSONBody[TermsCreate]
    ) -> TermsVersionOut:
        """Publish a new, immutable terms version, now or from a future date (422 lists every problem)."""
        return await service.publish(principal, offer_id, data)

    @get("/", operation_id="terms_list")
    async def list_versions(self, principal: PrincipalDep, offer_id: IdPath) -> list[TermsVersionOut]:
        """Every version with its state; webmasters see the versions that apply to them, without revenue."""
        return await service.list_versions(principal, offer_id)

    @get("/{version_id:int}", operation_id="terms_get")
    async def get_version(
        self, principal: PrincipalDep, offer_id: IdPath, version_id: IdPath
    ) -> TermsVersionOut:
        return await service.get_version(principal, offer_id, version_id)

    @post("/dry-run", operation_id="terms_dry_run", opt=roles(A, S, ADV), status_code=200)
    async def dry_run(
        self,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        offer_id: IdPath,
        data: JSONBody[DryRunIn],
    ) -> DryRunOut:
        """Evaluate a version, or unsaved rules, on a context: payout, revenue, hold, status and the trace."""
        exact = await exact_body(request)
        rules = exact_rules(exact["rules"]) if data.rules is not None else None
        data = msgspec.structs.replace(data, context=exact["context"], rules=rules)
        return await tools.dry_run(principal, offer_id, data)

    @post("/backtest", operation_id="terms_backtest", opt=roles(A, S, ADV), status_code=200)
    async def backtest(
        self, principal: PrincipalDep, offer_id: IdPath, data: JSONBody[BacktestIn]
    ) -> BacktestOut:
        """Compare draft rules with a stored version on past conversion contexts: totals and per webmaster."""
        return await tools.backtest_offer(principal, offer_id, data)

    @get("/diff", operation_id="terms_diff", opt=roles(A, S, ADV))
    async def diff(
        self,
        principal: PrincipalDep,
        offer_id: IdPath,
        from_version: FromQuery[int],
        to_version: FromQuery[int],
    ) -> DiffOut:
        """What changed between two versions, as (JSON pointer, before, after)."""
        return await tools.diff(principal, offer_id, _bounded(from_version), _bounded(to_version))

    @post("/{version_id:int}/acceptance", operation_id="terms_accept", opt=roles(WM), status_code=201)
    async def accept(
        self, principal: PrincipalDep, offer_id: IdPath, version_id: IdPath, data: JSONBody[AcceptIn]
    ) -> AcceptanceOut:
        """Accept a terms version (optionally until a date); the acceptance is recorded and audited."""
        return await service.accept(principal, offer_id, version_id, data)


def _bounded(value: int) -> int:
    # Out-of-range ids name nothing: map them to an id that cannot exist rather than overflow the driver.
    return value if 1 <= value <= MAX_ID else 0


class TermsToolsController(Controller):
    path = "/api/v1"
    tags = ["terms"]

    @post("/terms/validate", operation_id="terms_validate", opt=roles(A, S, ADV), status_code=200)
    async def validate(self, request: Request[Any, Any, Any], data: JSONBody[TermsRules]) -> ValidationOut:
        """Check rules without saving them: every problem with its JSON pointer and a message."""
        return service.validate(exact_rules(await exact_body(request)))

    @get("/my/terms", operation_id="my_terms", opt=roles(WM))
    async def mine(self, principal: PrincipalDep) -> list[MyTermsOut]:
        """The terms in force for you on each offer you joined, and every upcoming change with its date."""
        return await service.my_terms(principal)
