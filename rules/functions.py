"""Value-level implementations of the standard operators (the compiler wraps them in closures).

Each follows json-logic-js; differences are listed in docs/rules.md. Size limits are passed in so that a
rule cannot build a gigabyte string or array inside a reduce.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rules.coercion import CTX, Number, bound_int, js_str, parse_float, require_number, strict_equals
from rules.errors import RuleEvaluationError, RuleLimitError

MISSING: Any = object()


def add(a: Any, b: Any) -> Number:
    if a.__class__ is not int and a.__class__ is not Decimal:
        a = parse_float(a)
    if b.__class__ is not int and b.__class__ is not Decimal:
        b = parse_float(b)
    if a.__class__ is int and b.__class__ is int:
        return bound_int(a + b)
    return CTX.add(a, b)


def multiply(a: Any, b: Any) -> Number:
    if a.__class__ is not int and a.__class__ is not Decimal:
        a = parse_float(a)
    if b.__class__ is not int and b.__class__ is not Decimal:
        b = parse_float(b)
    if a.__class__ is int and b.__class__ is int:
        return bound_int(a * b)
    return CTX.multiply(a, b)


def subtract(a: Any, b: Any) -> Number:
    x, y = require_number(a), require_number(b)
    if x.__class__ is int and y.__class__ is int:
        return bound_int(x - y)
    return CTX.subtract(x, y)


def negate(a: Any) -> Number:
    x = require_number(a)
    return -x if isinstance(x, int) else CTX.minus(x)


def divide(a: Any, b: Any) -> Decimal:
    x, y = require_number(a), require_number(b)
    if y == 0:
        raise RuleEvaluationError("division_by_zero", "division by zero")
    return CTX.divide(x, y)


def modulo(a: Any, b: Any) -> Number:
    x, y = require_number(a), require_number(b)
    if y == 0:
        raise RuleEvaluationError("division_by_zero", "modulo by zero")
    if isinstance(x, int) and isinstance(y, int):
        # JS remainder takes the sign of the dividend; Python's % takes the divisor's.
        rest = abs(x) % abs(y)
        return -rest if x < 0 else rest
    return CTX.remainder(x, y)


def maximum(values: list[Any]) -> Number:
    return max(require_number(v) for v in values)


def minimum(values: list[Any]) -> Number:
    return min(require_number(v) for v in values)


def cat(values: list[Any], max_length: int) -> str:
    text = "".join([js_str(v) for v in values])
    if len(text) > max_length:
        raise RuleLimitError("string_too_long", f"cat would build a string longer than {max_length}")
    return text


def _integer(value: Any) -> int:
    return int(require_number(value))  # JS ToInteger truncates toward zero, as int() does


def substr(source: Any, start: Any, length: Any = MISSING) -> str:
    text = js_str(source)
    begin = _integer(start)
    if begin < 0:
        begin = max(len(text) + begin, 0)
    if length is MISSING:
        return text[begin:]
    count = _integer(length)
    if count < 0:
        rest = text[begin:]
        return rest[: max(len(rest) + count, 0)]
    return text[begin : begin + count]


def merge(values: list[Any], max_length: int) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list):
            out.extend(value)
        else:
            out.append(value)
    if len(out) > max_length:
        raise RuleLimitError("array_too_long", f"merge would build an array longer than {max_length}")
    return out


def contains(needle: Any, haystack: Any) -> bool:
    if haystack.__class__ is str:
        return js_str(needle) in haystack
    if isinstance(haystack, list):
        return any(strict_equals(needle, item) for item in haystack)
    return False


def split_path(path: Any) -> tuple[str, ...]:
    text = js_str(path)
    return tuple(text.split(".")) if text else ()


def get_path(data: Any, keys: tuple[str, ...], default: Any = None) -> Any:
    """json-logic-js ``var``: walk ``keys``; a null or absent step gives ``default``."""
    for key in keys:
        if data is None:
            return default
        if isinstance(data, Mapping):
            data = data.get(key, MISSING)
            if data is MISSING:
                return default
        elif isinstance(data, list):
            # Only canonical indices: JS reads list["01"] as a missing property, not element 1.
            if not key.isdigit() or (key[0] == "0" and key != "0") or int(key) >= len(data):
                return default
            data = data[int(key)]
        else:
            return default
    return data


def missing(data: Any, keys: list[Any]) -> list[Any]:
    if keys and isinstance(keys[0], list):
        keys = keys[0]
    out = []
    for key in keys:
        value = get_path(data, split_path(key))
        if value is None or value == "":
            out.append(key)
    return out


def missing_some(data: Any, need: Any, options: Any) -> list[Any]:
    options = options if isinstance(options, list) else [options]
    absent = missing(data, options)
    return [] if len(options) - len(absent) >= require_number(need) else absent
