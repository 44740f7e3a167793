"""Differential test against panzi-json-logic (module ``json_logic``), which passes 277/277 of the suite.

Rules are generated over integers, strings, booleans, null and arrays: the subset where JsonLogic's
JavaScript semantics and exact Decimal arithmetic must agree. Excluded on purpose (see docs/rules.md):
'/' (float results), and cases where the reference produces NaN or raises (we raise a typed error).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rules import RuleEvaluationError, apply

json_logic = pytest.importorskip("json_logic")
reference = json_logic.jsonLogic

DATA = {
    "n": 7,
    "m": -3,
    "s": "12",
    "t": "apple",
    "items": [1, 5, 0, 9, -2],
    "words": ["apple", "", "pie"],
    "user": {"age": 42, "name": "Ann"},
}

# A typed grammar: the reference has Python-isms (str(True) == "True", None taken as a missing argument,
# Python's floored %), so booleans and null are kept out of arithmetic and string positions.
ints = st.integers(min_value=-20, max_value=20)
# No "" among the texts: the reference reads "" < 2 as false, JavaScript as 0 < 2 (true, as we do).
texts = st.sampled_from(["0", "1", "7", "12", "-3", "a", "apple", "pie", "ap"])
num_vars = st.sampled_from(["n", "m", "user.age"]).map(lambda p: {"var": p})
str_vars = st.sampled_from(["s", "t", "user.name"]).map(lambda p: {"var": p})
missing_var = st.builds(lambda d: {"var": ["nope", d]}, ints)


def _numbers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(
            lambda op, xs: {op: xs},
            st.sampled_from(["+", "*", "max", "min"]),
            st.lists(children, min_size=1, max_size=4),
        ),
        st.builds(lambda a, b: {"-": [a, b]}, children, children),
        st.builds(lambda a: {"-": [a]}, children),
        # Python's floored % in the reference: only non-negative dividends are comparable.
        st.builds(lambda a, b: {"%": [a, b]}, st.integers(0, 40) | st.just({"var": "n"}), st.integers(1, 9)),
    )


NUMBERS = st.recursive(ints | num_vars | missing_var, _numbers, max_leaves=6)
# substr can yield "", so its results only appear where "" is not compared with a number.
SUBSTRINGS = st.one_of(
    st.builds(lambda a, b: {"substr": [a, b]}, texts | str_vars, st.integers(-6, 6)),
    st.builds(
        lambda a, b, c: {"substr": [a, b, c]}, texts | str_vars, st.integers(-6, 6), st.integers(-6, 6)
    ),
)
STRINGS = st.one_of(
    texts,
    str_vars,
    st.builds(
        lambda xs: {"cat": xs}, st.lists(texts | str_vars | NUMBERS | SUBSTRINGS, min_size=1, max_size=3)
    ),
)
VALUES = NUMBERS | STRINGS


def _booleans(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(
            lambda op, xs: {op: xs},
            st.sampled_from(["and", "or"]),
            st.lists(children, min_size=1, max_size=3),
        ),
        st.builds(lambda op, a: {op: [a]}, st.sampled_from(["!", "!!"]), children),
    )


COMPARISONS = st.one_of(
    st.builds(lambda op, a, b: {op: [a, b]}, st.sampled_from(["<", "<=", ">", ">="]), VALUES, VALUES),
    st.builds(lambda a, b, c: {"<": [a, b, c]}, NUMBERS, NUMBERS, NUMBERS),
    st.builds(lambda a, b, c: {"<=": [a, b, c]}, NUMBERS, NUMBERS, NUMBERS),
    st.builds(lambda op, a, b: {op: [a, b]}, st.sampled_from(["==", "===", "!=", "!=="]), VALUES, VALUES),
    st.builds(lambda a, b: {"in": [a, b]}, STRINGS, STRINGS),
    st.builds(lambda a: {"in": [a, {"var": "words"}]}, STRINGS),
    st.builds(
        lambda op, cmp, x: {op: [{"var": "items"}, {cmp: [{"var": ""}, x]}]},
        st.sampled_from(["all", "some", "none", "filter", "map"]),
        st.sampled_from(["<", ">=", "=="]),
        ints,
    ),
    st.builds(
        lambda keys: {"missing": keys}, st.lists(st.sampled_from(["n", "t", "x", "user.age"]), max_size=3)
    ),
)
BOOLEANS = st.recursive(COMPARISONS, _booleans, max_leaves=4)
RULES = st.one_of(
    VALUES,
    SUBSTRINGS,
    BOOLEANS,
    st.builds(lambda c, a, b: {"if": [c, a, b]}, BOOLEANS, VALUES, VALUES),
    st.builds(lambda c, a, b: {"?:": [c, a, b]}, BOOLEANS, NUMBERS, STRINGS),
    st.builds(lambda xs: {"merge": xs}, st.lists(VALUES | st.lists(VALUES, max_size=2), max_size=3)),
    st.builds(
        lambda x: {"reduce": [{"var": "items"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, x]}, ints
    ),
)


def normalise(value: Any) -> Any:
    """Floats from the reference and Decimals from us compare as exact decimal values."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


def _reference_value(rule: Any) -> Any:
    try:
        value = reference(rule, DATA)
    except (ZeroDivisionError, TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError):
        assume(False)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        assume(False)  # we raise a typed error where JavaScript yields NaN / Infinity
    return value


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RULES)
def test_agrees_with_reference_interpreter(rule: Any) -> None:
    expected = _reference_value(rule)
    try:
        actual = apply(rule, DATA)
    except RuleEvaluationError as exc:
        # Only NaN-producing coercions may differ; the reference would have returned NaN-derived values.
        assert exc.code in ("not_a_number", "division_by_zero"), (rule, exc)
        return
    assert normalise(actual) == normalise(expected), (rule, actual, expected)


def test_reference_and_engine_agree_on_a_hand_written_rule() -> None:
    rule = {"and": [{"<": [{"var": "n"}, 10]}, {"in": ["pp", {"var": "t"}]}, {"<": [{"var": "items"}, "7"]}]}
    assert apply(rule, DATA) is True
    assert reference(rule, DATA) is True


@pytest.mark.parametrize(
    ("rule", "javascript"),
    [
        ({"!=": [None, False]}, True),  # null == false is false in JS; the reference says otherwise
        ({"-": [-13, None]}, -13),  # JS: -13 - null; the reference treats null as "no argument"
        ({"%": [-7, 2]}, -1),  # JS remainder keeps the dividend's sign; Python's % does not
        ({"substr": [True, 0]}, "true"),  # String(true) in JS
        ({"<": ["", 2]}, True),  # Number("") is 0 in JS
    ],
)
def test_where_the_reference_departs_from_javascript_we_follow_javascript(rule: Any, javascript: Any) -> None:
    assert apply(rule, {}) == javascript
    assert reference(rule, {}) != javascript
