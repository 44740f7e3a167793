"""Static result-type checks: what a payout, revenue, hold_days or status rule may return.

Only the nodes whose value can become the result are inspected: the rule itself and, through ``if`` and
``?:``, each branch value. Literals are checked exactly; operators and variables by their static category.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rules.context import ContextSpec
from rules.errors import RuleProblem, escape_token
from rules.operators import OPERATORS, Category

STATUSES = ("approve", "hold", "reject")
REASON_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_HOLD_DAYS = 365


class ResultKind(StrEnum):
    AMOUNT = "amount"  # payout, revenue: a non-negative number
    HOLD_DAYS = "hold_days"  # an integer 0..365
    STATUS = "status"  # "approve" | "hold" | "reject" | null, optionally with a reason code
    ANY = "any"


_ACCEPTED: dict[ResultKind, frozenset[Category]] = {
    ResultKind.AMOUNT: frozenset({Category.NUMBER, Category.ANY}),
    ResultKind.HOLD_DAYS: frozenset({Category.NUMBER, Category.ANY}),
    ResultKind.STATUS: frozenset(
        {Category.STRING, Category.ARRAY, Category.OBJECT, Category.NULL, Category.ANY}
    ),
}
_EXPECTED = {
    ResultKind.AMOUNT: "a non-negative amount",
    ResultKind.HOLD_DAYS: f"a whole number of days from 0 to {MAX_HOLD_DAYS}",
    ResultKind.STATUS: "one of 'approve', 'hold', 'reject' (optionally with a reason code) or null",
}


def infer_category(node: Any, context: ContextSpec | None) -> Category:
    """What can be said statically about the value of ``node`` (ANY when it depends on data)."""
    if node is None:
        return Category.NULL
    if isinstance(node, bool):
        return Category.BOOLEAN
    if isinstance(node, int | Decimal | float):
        return Category.NUMBER
    if isinstance(node, str):
        return Category.STRING
    if isinstance(node, list):
        return Category.ARRAY
    if not isinstance(node, dict) or len(node) != 1:
        return Category.OBJECT
    ((op, raw),) = node.items()
    if op == "var" and context is not None:
        path = raw[0] if isinstance(raw, list) and raw else raw
        has_default = isinstance(raw, list) and len(raw) > 1
        if isinstance(path, str) and not has_default:
            return context.category(path) or Category.ANY
        return Category.ANY
    spec = OPERATORS.get(op)
    return spec.result if spec is not None else Category.ANY


def _literal_ok(value: Any, kind: ResultKind) -> bool:
    if kind is ResultKind.AMOUNT:
        return isinstance(value, int | Decimal | float) and not isinstance(value, bool) and value >= 0
    if kind is ResultKind.HOLD_DAYS:
        number = value if isinstance(value, int | Decimal) and not isinstance(value, bool) else None
        return number is not None and number == int(number) and 0 <= number <= MAX_HOLD_DAYS
    return status_literal_ok(value)


def status_literal_ok(value: Any) -> bool:
    """A literal status: null, a status word, [status, reason] or {"status": ..., "reason": ...}."""
    if value is None or value in STATUSES:
        return True
    if isinstance(value, list) and len(value) == 2:
        status, reason = value
    elif isinstance(value, dict) and set(value) <= {"status", "reason"} and "status" in value:
        status, reason = value["status"], value.get("reason")
    else:
        return False
    if isinstance(status, dict | list) or isinstance(reason, dict | list):
        return True  # computed parts: checked at evaluation time
    return status in STATUSES and (
        reason is None or (isinstance(reason, str) and bool(REASON_CODE.fullmatch(reason)))
    )


def _is_literal(node: Any) -> bool:
    return not (isinstance(node, dict) and len(node) == 1)


def result_problems(rule: Any, kind: ResultKind, context: ContextSpec | None) -> list[RuleProblem]:
    if kind is ResultKind.ANY:
        return []
    problems: list[RuleProblem] = []
    stack: list[tuple[Any, str]] = [(rule, "")]
    while stack:
        node, pointer = stack.pop()
        if not _is_literal(node):
            ((op, raw),) = node.items()
            args = raw if isinstance(raw, list) else [raw]
            op_pointer = f"{pointer}/{escape_token(op)}"
            if op in ("if", "?:"):
                branches = list(range(1, len(args), 2)) if op == "if" else [1, 2]
                if op == "if" and len(args) % 2 == 1:
                    branches.append(len(args) - 1)
                elif op == "if" and kind is not ResultKind.STATUS:
                    message = "this 'if' has no final else value, so the result is null when nothing matches"
                    problems.append(RuleProblem(op_pointer, "wrong_result_type", message))
                stack.extend((args[i], f"{op_pointer}/{i}") for i in branches if i < len(args))
                continue
            category = infer_category(node, context)
            if category not in _ACCEPTED[kind]:
                message = f"this {op!r} gives a {category.value}, but the result must be {_EXPECTED[kind]}"
                problems.append(RuleProblem(op_pointer, "wrong_result_type", message))
            continue
        if not _literal_ok(node, kind):
            message = f"{node!r} cannot be the result: it must be {_EXPECTED[kind]}"
            problems.append(RuleProblem(pointer, "wrong_result_type", message))
    return problems
