"""Structural diff of two rules, for the terms-change review screen."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from rules.errors import escape_token


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()


class RuleChange(NamedTuple):
    pointer: str
    before: Any  # ABSENT when the node was added
    after: Any  # ABSENT when the node was removed


def _same_scalar(a: Any, b: Any) -> bool:
    if a is ABSENT or b is ABSENT:
        return False
    numeric = (int, Decimal, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, numeric) and isinstance(b, numeric):
        return (
            Decimal(repr(a)) == Decimal(repr(b)) if isinstance(a, float) or isinstance(b, float) else a == b
        )
    return type(a) is type(b) and a == b


def _operator(node: Any) -> str | None:
    return next(iter(node)) if isinstance(node, dict) and len(node) == 1 else None


def diff_rules(before: Any, after: Any) -> list[RuleChange]:
    """Changes from ``before`` to ``after`` as (pointer, before, after), in document order.

    A node whose operator changed (``<`` to ``<=``) is reported whole at its pointer; objects and arrays of
    the same shape are compared element by element. Iterative, so any depth is fine.
    """
    changes: list[RuleChange] = []
    stack: list[tuple[str, Any, Any]] = [("", before, after)]
    while stack:
        pointer, a, b = stack.pop()
        if isinstance(a, dict) and isinstance(b, dict) and _operator(a) == _operator(b):
            keys = sorted(set(a) | set(b), reverse=True)
            stack.extend((f"{pointer}/{escape_token(k)}", a.get(k, ABSENT), b.get(k, ABSENT)) for k in keys)
        elif isinstance(a, list) and isinstance(b, list):
            size = max(len(a), len(b))
            stack.extend(
                (f"{pointer}/{i}", a[i] if i < len(a) else ABSENT, b[i] if i < len(b) else ABSENT)
                for i in range(size - 1, -1, -1)
            )
        elif isinstance(a, dict | list) or isinstance(b, dict | list) or not _same_scalar(a, b):
            changes.append(RuleChange(pointer, a, b))
    return changes
