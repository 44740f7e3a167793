"""Offer terms as a program of four rules: payout, revenue, hold_days and an optional automatic status.

Status rules may return null (no automatic decision), "approve" | "hold" | "reject", or a decision with a
reason code from the rejection enum: ["reject", "fraud_geo"] or {"status": "reject", "reason": "fraud_geo"}.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rules.compiler import CompiledRule, compile_rule
from rules.context import TERMS_CONTEXT, ContextSpec
from rules.errors import RuleEvaluationError, RuleProblem, RuleValidationError
from rules.limits import DEFAULT_LIMITS, Limits
from rules.money import MINOR_UNITS, quantize
from rules.result_types import MAX_HOLD_DAYS, REASON_CODE, STATUSES, ResultKind
from rules.trace import TraceStep
from rules.validation import validate_rule

FIELDS: dict[str, ResultKind] = {
    "payout": ResultKind.AMOUNT,
    "revenue": ResultKind.AMOUNT,
    "hold_days": ResultKind.HOLD_DAYS,
    "status": ResultKind.STATUS,
}


@dataclass(frozen=True, slots=True)
class TermsResult:
    payout: Decimal
    revenue: Decimal
    hold_days: int
    status: str | None
    reason: str | None
    trace: list[TraceStep] = field(default_factory=list)


def _wrong(field_name: str, value: Any, expected: str) -> RuleEvaluationError:
    message = f"{field_name} evaluated to {value!r}, but it must be {expected}"
    return RuleEvaluationError("wrong_result_type", message, f"/{field_name}")


def _amount(field_name: str, value: Any, currency: str) -> Decimal:
    if (value.__class__ is not int and value.__class__ is not Decimal) or value < 0:
        raise _wrong(field_name, value, "a non-negative amount")
    return quantize(value, currency)


def _hold_days(value: Any) -> int:
    if (value.__class__ is int or value.__class__ is Decimal) and value == int(value):
        days = int(value)
        if 0 <= days <= MAX_HOLD_DAYS:
            return days
    raise _wrong("hold_days", value, f"a whole number of days from 0 to {MAX_HOLD_DAYS}")


def _status(value: Any) -> tuple[str | None, str | None]:
    status: Any = value
    reason: Any = None
    if isinstance(value, list) and len(value) == 2:
        status, reason = value
    elif isinstance(value, dict) and "status" in value and set(value) <= {"status", "reason"}:
        status, reason = value["status"], value.get("reason")
    if status is None and reason is None:
        return None, None
    if status in STATUSES and (reason is None or (isinstance(reason, str) and REASON_CODE.fullmatch(reason))):
        return status, reason
    raise _wrong("status", value, "'approve', 'hold', 'reject', [status, reason_code] or null")


class TermsProgram:
    """Compiled offer terms; build with ``from_rules`` and share freely (immutable)."""

    def __init__(self, compiled: Mapping[str, CompiledRule | None], currency: str) -> None:
        self._compiled = dict(compiled)
        self.currency = currency
        digest = hashlib.sha256(currency.encode())
        for name in FIELDS:
            rule = self._compiled.get(name)
            digest.update(f"|{name}:{rule.rule_hash if rule else '-'}".encode())
        self.version = digest.hexdigest()

    @classmethod
    def from_rules(
        cls,
        *,
        payout: Any,
        revenue: Any,
        hold_days: Any = 0,
        status: Any = None,
        currency: str = "USD",
        context: ContextSpec = TERMS_CONTEXT,
        limits: Limits = DEFAULT_LIMITS,
    ) -> TermsProgram:
        """Validate every rule (raising RuleValidationError with all problems, pointers prefixed by the
        field name, e.g. "/payout/if/0") and compile them. ``status=None`` means no automatic status."""
        problems: list[RuleProblem] = []
        if currency.upper() not in MINOR_UNITS:
            problems.append(RuleProblem("/currency", "unknown_currency", f"unknown currency '{currency}'"))
        sources = {"payout": payout, "revenue": revenue, "hold_days": hold_days, "status": status}
        for name, rule in sources.items():
            if name == "status" and rule is None:
                continue
            found = validate_rule(rule, context=context, result=FIELDS[name], limits=limits)
            problems.extend(p.prefixed(f"/{name}") for p in found)
        if problems:
            raise RuleValidationError(problems)
        compiled = {
            name: (None if rule is None and name == "status" else compile_rule(rule, limits=limits))
            for name, rule in sources.items()
        }
        return cls(compiled, currency.upper())

    @property
    def rules(self) -> dict[str, Any]:
        return {name: (rule.rule if rule else None) for name, rule in self._compiled.items()}

    def _run(self, name: str, data: Mapping[str, Any], trace: list[TraceStep] | None) -> Any:
        compiled = self._compiled[name]
        if compiled is None:
            return None
        try:
            if trace is None:
                return compiled.evaluate(data)
            value, steps = compiled.evaluate_traced(data)
        except RuleEvaluationError as exc:
            raise exc.prefixed(f"/{name}") from None
        trace.extend(step.prefixed(f"/{name}") for step in steps)
        return value

    def evaluate(self, context: Mapping[str, Any], *, trace: bool = False) -> TermsResult:
        steps: list[TraceStep] | None = [] if trace else None
        payout = _amount("payout", self._run("payout", context, steps), self.currency)
        revenue = _amount("revenue", self._run("revenue", context, steps), self.currency)
        hold_days = _hold_days(self._run("hold_days", context, steps))
        status, reason = _status(self._run("status", context, steps))
        return TermsResult(payout, revenue, hold_days, status, reason, steps or [])

    def __repr__(self) -> str:
        return f"TermsProgram({self.currency}, version={self.version[:12]})"
