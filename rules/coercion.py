"""JavaScript value semantics over exact numbers.

JsonLogic is specified by its JavaScript reference implementation; these helpers reproduce JS truthiness,
equality, comparison and number coercion, except that numbers are ``int`` or ``Decimal`` (never float) and
NaN is not a value: where JS would produce NaN, arithmetic raises ``CoercionError`` (the caller adds the
JSON pointer) and comparisons answer ``False`` as JS does.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from rules.errors import CoercionError

# 34 digits (decimal128) is far above any money amount; traps make inexact surprises loud, not silent.
CTX = Context(
    prec=34,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
# Python ints are unbounded; a reduce that keeps squaring would eat memory, so big ints become Decimals.
INT_LIMIT = 10**34

Number = int | Decimal
_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def is_number(value: object) -> bool:
    cls = value.__class__
    return cls is int or cls is Decimal


def truthy(value: object) -> bool:
    # Python and JsonLogic agree on everything but objects: {} is truthy in JS.
    if value.__class__ is dict:
        return True
    return bool(value)


def bound_int(value: int) -> Number:
    if -INT_LIMIT < value < INT_LIMIT:
        return value
    return CTX.create_decimal(value)


def _number_from_text(text: str) -> Number:
    return int(text) if text.lstrip("+-").isdigit() else Decimal(text)


def to_number(value: Any) -> Number | None:
    """JS ``Number(value)``; ``None`` stands for NaN."""
    cls = value.__class__
    if cls is int or cls is Decimal:
        return value  # type: ignore[no-any-return]
    if cls is bool:
        return int(value)
    if value is None:
        return 0
    if cls is str:
        text = value.strip()
        if not text:
            return 0
        return _number_from_text(text) if _NUMERIC.fullmatch(text) else None
    if cls is float:
        return Decimal(repr(value))
    if cls is list:
        return to_number(js_str(value))
    if isinstance(value, int):
        return int(value)
    return None


def parse_float(value: Any) -> Number:
    """JS ``parseFloat(value)``, used by '+' and '*'; raises CoercionError where JS gives NaN."""
    cls = value.__class__
    if cls is int or cls is Decimal:
        return value  # type: ignore[no-any-return]
    if cls is float:
        return Decimal(repr(value))
    text = value if cls is str else js_str(value)
    match = _NUMERIC.match(text.lstrip())
    if match is None:
        raise CoercionError(f"{js_repr(value)} is not a number")
    return _number_from_text(match.group())


def require_number(value: Any) -> Number:
    number = to_number(value)
    if number is None:
        raise CoercionError(f"{js_repr(value)} is not a number")
    return number


def format_decimal(value: Decimal) -> str:
    if value == 0:
        return "0"
    return format(value.normalize(CTX), "f")


def js_str(value: Any) -> str:
    """JS ``String(value)`` (arrays join with ',', null inside arrays becomes '')."""
    cls = value.__class__
    if cls is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return "null"
    if cls is bool:
        return "true" if value else "false"
    if cls is int:
        return str(value)
    if cls is Decimal:
        return format_decimal(value)
    if cls is float:
        return format_decimal(Decimal(repr(value)))
    if isinstance(value, list):
        return ",".join("" if item is None else js_str(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def js_repr(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else js_str(value)


def strict_equals(a: Any, b: Any) -> bool:
    """JS ``===``: same type and value; arrays and objects only equal themselves."""
    ca, cb = a.__class__, b.__class__
    if (ca is int or ca is Decimal) and (cb is int or cb is Decimal):
        return bool(a == b)
    if ca is not cb:
        return False
    if ca is list or ca is dict:
        return a is b
    return bool(a == b)


def loose_equals(a: Any, b: Any) -> bool:
    """JS ``==`` (abstract equality)."""
    if a is None or b is None:
        return a is None and b is None
    ca, cb = a.__class__, b.__class__
    a_num = ca is int or ca is Decimal
    b_num = cb is int or cb is Decimal
    if a_num and b_num:
        return bool(a == b)
    if ca is cb:
        return a is b if ca is list or ca is dict else bool(a == b)
    if ca is bool:
        return loose_equals(int(a), b)
    if cb is bool:
        return loose_equals(a, int(b))
    if (a_num and cb is str) or (ca is str and b_num):
        na, nb = to_number(a), to_number(b)
        return na is not None and nb is not None and na == nb
    if ca is list or ca is dict:
        return not (cb is list or cb is dict) and loose_equals(js_str(a), b)
    if cb is list or cb is dict:
        return loose_equals(a, js_str(b))
    return False


def compare(a: Any, b: Any) -> int | None:
    """Three-way JS relational comparison; ``None`` when either side is NaN (every relation is false)."""
    # ToPrimitive first: arrays and objects become strings, then two strings compare as text.
    if isinstance(a, list | dict):
        a = js_str(a)
    if isinstance(b, list | dict):
        b = js_str(b)
    if a.__class__ is str and b.__class__ is str:
        return (a > b) - (a < b)
    na, nb = to_number(a), to_number(b)
    if na is None or nb is None:
        return None
    return (na > nb) - (na < nb)
