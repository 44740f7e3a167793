"""Parsing rule text with exact numbers, and the canonical form used as the compile-cache key.

The canonical text is what ``json.dumps(rule, sort_keys=True, separators=(",", ":"))`` would give if it
knew Decimals, produced with an explicit stack so that a hostile rule nested 10,000 levels deep costs a
few microseconds and a ``RuleValidationError`` instead of a RecursionError.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from rules.errors import RuleProblem, RuleValidationError, escape_token
from rules.limits import DEFAULT_LIMITS, Limits


def _reject_constant(name: str) -> Any:
    raise RuleValidationError([RuleProblem("", "invalid_json", f"{name} is not a valid number in a rule")])


def parse_rule(text: str | bytes) -> Any:
    """Parse JSON rule or data text: fractions become Decimal, integers stay int, NaN/Infinity refused."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except RecursionError:
        # The C decoder recurses per nesting level; such input is far beyond any depth limit anyway.
        raise RuleValidationError(
            [RuleProblem("", "too_deep", "the rule is nested too deeply to be parsed")]
        ) from None
    except json.JSONDecodeError as exc:
        problem = RuleProblem("", "invalid_json", f"not valid JSON: {exc.msg} (line {exc.lineno})")
        raise RuleValidationError([problem]) from None


def _scalar_text(value: Any, path: tuple[Any, ...] | None) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if isinstance(value, int | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise _limit_error("invalid_value", "numbers must be finite", path)
        return str(value)
    if isinstance(value, float):
        # A rule that went through plain json.loads: repr gives back the digits the author wrote.
        return str(Decimal(repr(value)))
    message = f"values of type {type(value).__name__} cannot appear in a rule"
    raise _limit_error("invalid_value", message, path)


def _pointer(path: tuple[Any, ...] | None) -> str:
    """Render the linked (parent, token) path built by canonical_json, only when an error needs it."""
    tokens: list[str] = []
    while path is not None:
        path, token = path
        tokens.append(escape_token(str(token)))
    return "".join(f"/{token}" for token in reversed(tokens))


def _limit_error(code: str, message: str, path: tuple[Any, ...] | None) -> RuleValidationError:
    return RuleValidationError([RuleProblem(_pointer(path), code, message)])


def canonical_json(rule: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """Canonical text of ``rule``; raises RuleValidationError when depth or node limits are exceeded."""
    out: list[str] = []
    append = out.append
    nodes = 0
    max_depth, max_nodes = limits.max_depth, limits.max_nodes
    # Work items: a str is emitted as-is; a tuple is (value, depth, path) with path a (parent, token)
    # linked list, so pointers cost nothing unless a limit is hit.
    stack: list[Any] = [(rule, 1, None)]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        if item.__class__ is str:
            append(item)
            continue
        value, depth, path = item
        nodes += 1
        if depth > max_depth:
            raise _limit_error("too_deep", f"the rule is nested deeper than {max_depth} levels", path)
        cls = value.__class__
        if cls is str:
            append(encode_basestring_ascii(value))
            continue
        if (cls is dict or cls is list or isinstance(value, dict | list)) and nodes + len(value) > max_nodes:
            raise _limit_error("too_many_nodes", f"the rule has more than {max_nodes} nodes", path)
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                raise _limit_error("invalid_value", "object keys must be strings", path)
            keys = sorted(value)
            push("}")
            for index in range(len(keys) - 1, -1, -1):
                key = keys[index]
                push((value[key], depth + 1, (path, key)))
                push(("," if index else "") + encode_basestring_ascii(key) + ":")
            append("{")
        elif isinstance(value, list):
            push("]")
            for index in range(len(value) - 1, -1, -1):
                push((value[index], depth + 1, (path, index)))
                if index:
                    push(",")
            append("[")
        else:
            append(_scalar_text(value, path))
    return "".join(out)


def rule_hash(rule: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """sha256 hex digest of the canonical text: the identity of a rule version."""
    return hashlib.sha256(canonical_json(rule, limits).encode("ascii")).hexdigest()
