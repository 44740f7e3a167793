"""The official JsonLogic suite (jsonlogic.com/tests.json, copied verbatim into data/): all 277 cases."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rules import apply, parse_rule

SUITE = Path(__file__).parent / "data" / "tests.json"
CASES = [case for case in parse_rule(SUITE.read_bytes()) if not isinstance(case, str)]


def same(actual: Any, expected: Any) -> bool:
    """Equality where numbers compare by value (Decimal 0.5 == 0.5) but never equal booleans."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, int | Decimal) and isinstance(actual, int | Decimal):
        return Decimal(actual) == Decimal(expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k]) for k in expected)
    return type(actual) is type(expected) and actual == expected


def test_suite_has_all_277_cases() -> None:
    assert len(CASES) == 277


def test_all_277_cases_pass() -> None:
    failures = []
    passed = 0
    for rule, data, expected in CASES:
        actual = apply(rule, data)
        if same(actual, expected):
            passed += 1
        else:
            failures.append((rule, data, expected, actual))
    assert failures == []
    assert passed == 277


@pytest.mark.parametrize(
    ("actual", "expected", "result"), [(1, True, False), (Decimal("0.50"), Decimal("0.5"), True)]
)
def test_comparison_helper_is_strict_about_booleans(actual: Any, expected: Any, result: bool) -> None:
    assert same(actual, expected) is result
