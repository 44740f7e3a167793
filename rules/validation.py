"""Save-time validation: structure, limits, variables and result types, with JSON pointers.

Walks the rule with an explicit stack (never recursion), stops descending past ``max_depth`` and stops
altogether past ``max_nodes``, so hostile input (10,000 levels, a million nodes) is refused in microseconds.
"""

from __future__ import annotations

import difflib
from decimal import Decimal
from typing import Any

from rules.context import TERMS_CONTEXT, ContextSpec
from rules.domain import is_known_zone
from rules.errors import RuleProblem, escape_token
from rules.limits import DEFAULT_LIMITS, Limits
from rules.money import MINOR_UNITS
from rules.operators import OPERATORS
from rules.result_types import ResultKind, result_problems

# Scopes of a node: what {"var": ...} reads there.
_ROOT, _ELEMENT, _REDUCE, _LITERAL = 0, 1, 2, 3


def _arity_text(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} argument{'s' * (low != 1)}"
    if low == high:
        return f"exactly {low} argument{'s' * (low != 1)}"
    return f"{low} to {high} arguments"


def _suggest(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" — did you mean '{match[0]}'?" if match else ""


def _check_operator(
    op: str, args: list[Any], pointer: str, scope: int, context: ContextSpec | None, out: list[RuleProblem]
) -> None:
    spec = OPERATORS[op]
    if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
        message = f"'{op}' takes {_arity_text(spec.min_args, spec.max_args)}, got {len(args)}"
        out.append(RuleProblem(pointer, "wrong_arity", message))
        return
    if op == "var" and args and isinstance(args[0], str | int) and not isinstance(args[0], bool):
        _check_variable(str(args[0]), pointer, scope, context, out)
    elif context is None:
        return  # structural checks only (compile_rule): literal values are judged at save time
    elif op in ("hour", "weekday") and len(args) == 2 and isinstance(args[1], str):
        if not is_known_zone(args[1]):
            out.append(RuleProblem(f"{pointer}/1", "unknown_timezone", f"unknown time zone '{args[1]}'"))
    elif op == "round_money" and isinstance(args[1], str) and args[1].upper() not in MINOR_UNITS:
        out.append(RuleProblem(f"{pointer}/1", "unknown_currency", f"unknown currency '{args[1]}'"))


def _check_variable(
    path: str, pointer: str, scope: int, context: ContextSpec | None, out: list[RuleProblem]
) -> None:
    if context is None or path == "" or scope == _ELEMENT:
        return  # inside map/filter/all/none/some the data is the element, which the spec cannot describe
    if scope == _REDUCE:
        if path.split(".")[0] not in ("current", "accumulator"):
            message = f"inside 'reduce' only 'current' and 'accumulator' can be read, not '{path}'"
            out.append(RuleProblem(pointer, "unknown_variable", message))
        return
    if context.category(path) is None:
        hint = context.suggest(path)
        suffix = f" — did you mean '{hint}'?" if hint else ""
        out.append(RuleProblem(pointer, "unknown_variable", f"unknown variable '{path}'{suffix}"))


def _walk(rule: Any, limits: Limits, context: ContextSpec | None) -> list[RuleProblem]:
    problems: list[RuleProblem] = []
    nodes = 0
    stack: list[tuple[Any, str, int, int]] = [(rule, "", 1, _ROOT)]
    while stack:
        node, pointer, depth, scope = stack.pop()
        nodes += 1
        if depth > limits.max_depth:
            message = f"the rule is nested deeper than {limits.max_depth} levels; simplify it"
            problems.append(RuleProblem(pointer, "too_deep", message))
            continue
        if isinstance(node, dict | list) and nodes + len(node) > limits.max_nodes:
            message = f"the rule has more than {limits.max_nodes} nodes; split or simplify it"
            problems.append(RuleProblem(pointer, "too_many_nodes", message))
            return problems
        if isinstance(node, list):
            stack.extend((item, f"{pointer}/{i}", depth + 1, scope) for i, item in enumerate(node))
        elif isinstance(node, dict):
            if not all(isinstance(key, str) for key in node):
                problems.append(RuleProblem(pointer, "invalid_value", "object keys must be strings"))
                continue
            if len(node) != 1 or scope == _LITERAL:
                stack.extend(
                    (v, f"{pointer}/{escape_token(k)}", depth + 1, _LITERAL) for k, v in node.items()
                )
                continue
            ((op, raw),) = node.items()
            op_pointer = f"{pointer}/{escape_token(op)}"
            if op not in OPERATORS:
                message = f"unknown operator '{op}'{_suggest(op, list(OPERATORS))}"
                problems.append(RuleProblem(op_pointer, "unknown_operator", message))
            else:
                args = raw if isinstance(raw, list) else [raw]
                _check_operator(op, args, op_pointer, scope, context, problems)
            if not isinstance(raw, list):
                stack.append((raw, op_pointer, depth + 1, scope))
                continue
            # The argument array is a JSON node of its own: count it, and its depth, as canonical_json does.
            nodes += 1
            if depth + 1 > limits.max_depth or nodes + len(raw) > limits.max_nodes:
                stack.append((raw, op_pointer, depth + 1, scope))
                continue
            spec = OPERATORS.get(op)
            for i, arg in enumerate(raw):
                inner = scope
                if spec is not None and spec.iterates and i == 1:
                    inner = _REDUCE if op == "reduce" else _ELEMENT
                stack.append((arg, f"{op_pointer}/{i}", depth + 2, inner))
        elif not (node is None or isinstance(node, str | int | Decimal | float)):
            message = f"values of type {type(node).__name__} cannot appear in a rule"
            problems.append(RuleProblem(pointer, "invalid_value", message))
    problems.sort(key=lambda p: p.pointer)
    return problems


def structural_problems(rule: Any, limits: Limits = DEFAULT_LIMITS) -> list[RuleProblem]:
    """Problems that make a rule impossible to compile: limits, unknown operators, arity."""
    return _walk(rule, limits, None)


def validate_rule(
    rule: Any,
    *,
    context: ContextSpec = TERMS_CONTEXT,
    result: ResultKind = ResultKind.ANY,
    limits: Limits = DEFAULT_LIMITS,
) -> list[RuleProblem]:
    """Every problem found in ``rule``, sorted by pointer; an empty list means it can be saved."""
    problems = _walk(rule, limits, context)
    if any(p.code in ("too_deep", "too_many_nodes") for p in problems):
        return problems  # type checks would walk the same oversized structure again
    problems.extend(result_problems(rule, result, context))
    problems.sort(key=lambda p: p.pointer)
    return problems
