"""Compiled evaluation: caching, traces, runtime limits, typed errors and the domain operators."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from rules import (
    Limits,
    RuleEvaluationError,
    RuleLimitError,
    TraceStep,
    apply,
    compile_rule,
    parse_rule,
    rule_hash,
)
from rules.compiler import FACTORIES
from rules.operators import OPERATORS

MOSCOW = {"network": {"timezone": "Europe/Moscow"}}


def test_same_rule_compiles_to_the_same_object() -> None:
    first = compile_rule(parse_rule('{"if": [{"var": "a"}, 1.50, 2]}'))
    again = compile_rule({"if": [{"var": "a"}, Decimal("1.50"), 2]})
    assert first is again
    assert compile_rule({"if": [{"var": "a"}, Decimal("1.5"), 2]}) is not first
    assert first.rule_hash == rule_hash({"if": [{"var": "a"}, Decimal("1.50"), 2]})


def test_key_order_does_not_change_the_hash() -> None:
    assert rule_hash({"status": "reject", "reason": "x"}) == rule_hash({"reason": "x", "status": "reject"})
    assert rule_hash({"==": [1, "1"]}) != rule_hash({"==": ["1", 1]})


def test_evaluation_does_not_share_mutable_literals() -> None:
    compiled = compile_rule({"if": [True, [1, 2], []]})
    first = compiled.evaluate({})
    first.append(3)
    assert compiled.evaluate({}) == [1, 2]


def test_trace_records_branches_and_short_circuits() -> None:
    rule = {
        "if": [
            {"and": [{"==": [{"var": "click.country"}, "US"]}, {"in_group": "vip"}]},
            10,
            {"or": [{"==": [{"var": "click.device"}, "mobile"]}, {"var": "click.sub1"}]},
            {"?:": [{"<": [{"var": "conversion.count_this_month"}, 100]}, 6, 7]},
            5,
        ]
    }
    data = {"click": {"country": "DE", "device": "mobile"}, "conversion": {"count_this_month": 150}}
    value, trace = compile_rule(rule).evaluate_traced(data)
    assert value == 7
    assert trace == [
        TraceStep("/if/0", "and", 0, True),
        TraceStep("/if/2", "or", 0, True),
        TraceStep("", "if", 3),  # recorded when the branch is chosen, before it is evaluated
        TraceStep("/if/3", "?:", 2),
    ]
    assert compile_rule(rule).evaluate(data) == 7
    assert trace[2].describe() == "(root): if took argument 3"
    assert trace[0].describe() == "/if/0: and returned argument 0 (short-circuited)"


def test_trace_when_no_branch_matches() -> None:
    _, trace = compile_rule({"if": [False, 1, {"var": "x"}, 2]}).evaluate_traced({"x": 0})
    assert trace == [TraceStep("", "if", None)]


def test_operation_budget_stops_huge_iteration() -> None:
    rule = {"reduce": [{"var": "items"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}
    assert apply(rule, {"items": list(range(1000))}) == 499500
    with pytest.raises(RuleLimitError) as caught:
        apply(rule, {"items": list(range(1_000_000))})
    assert caught.value.code == "operation_budget"
    assert caught.value.pointer == ""  # the iterating node: here the root


def test_nested_iteration_is_charged_per_inner_run() -> None:
    rule = {"map": [{"var": "rows"}, {"map": [{"var": "cells"}, {"*": [{"var": ""}, 2]}]}]}
    small = Limits(max_operations=1_000)
    compiled = compile_rule(rule, limits=small)
    assert compiled.evaluate({"rows": [{"cells": [1, 2]}] * 10}) == [[2, 4]] * 10
    with pytest.raises(RuleLimitError) as caught:
        compiled.evaluate({"rows": [{"cells": list(range(100))}] * 10})
    assert caught.value.pointer == "/map/1"  # the inner map ran out


def test_doubling_strings_and_arrays_hit_size_limits() -> None:
    doubling_cat = {"reduce": [{"var": "n"}, {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "ab"]}
    with pytest.raises(RuleLimitError) as caught:
        apply(doubling_cat, {"n": list(range(64))})
    assert caught.value.code == "string_too_long"
    doubling_merge = {
        "reduce": [{"var": "n"}, {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]}, [1]]
    }
    with pytest.raises(RuleLimitError):
        apply(doubling_merge, {"n": list(range(64))})


def test_huge_integer_products_become_bounded_decimals() -> None:
    squaring = {"reduce": [{"var": "n"}, {"*": [{"var": "accumulator"}, {"var": "accumulator"}]}, 3]}
    with pytest.raises(RuleEvaluationError):
        apply(squaring, {"n": list(range(40))})  # 3**(2**40) overflows the decimal context: typed error


@pytest.mark.parametrize(
    ("rule", "code", "pointer"),
    [
        ({"if": [True, {"/": [{"var": "a"}, 0]}]}, "division_by_zero", "/if/1"),
        ({"+": [1, {"*": ["abc", 2]}]}, "not_a_number", "/+/1"),
        ({"hour": [{"var": "t"}, {"var": "tz"}]}, "unknown_timezone", ""),
        ({"if": [True, {"hour": [{"var": "a"}, "UTC"]}]}, "invalid_timestamp", "/if/1"),
        ({"weekday": ["2026-01-01T00:00:00Z"]}, "missing_timezone", ""),
        ({"round_money": [1, "XYZ"]}, "unknown_currency", ""),
    ],
)
def test_errors_are_typed_and_carry_the_pointer(rule: Any, code: str, pointer: str) -> None:
    with pytest.raises(RuleEvaluationError) as caught:
        apply(rule, {"a": 1, "t": "2026-01-01T00:00:00Z", "tz": "Nowhere/City"})
    assert caught.value.code == code
    assert caught.value.pointer == pointer


def test_var_forms() -> None:
    data = {"a": {"b": [10, {"c": "deep"}]}, "": "empty-key"}
    assert apply({"var": "a.b.1.c"}, data) == "deep"
    assert apply({"var": ["a.b.0"]}, data) == 10
    assert apply({"var": ["a.x", "fallback"]}, data) == "fallback"
    assert apply({"var": [{"cat": ["a.", "b"]}]}, data) == [10, {"c": "deep"}]
    assert apply({"var": 1}, ["x", "y"]) == "y"
    assert apply({"var": ""}, 5) == 5
    assert apply({"var": "a.b.7"}, data) is None


def test_log_goes_to_the_logger_and_returns_its_argument(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.INFO, logger="rules.log"):
        assert apply({"log": {"+": [1, 2]}}) == 3
    assert "rule log at /: 3" in caplog.text
    assert capsys.readouterr().out == ""


def test_javascript_coercions() -> None:
    assert apply({"+": ["1", 1]}) == 2
    assert apply({"-": ["5", True]}) == 4
    assert apply({"<": [None, 1]}) is True  # null is 0
    assert apply({"==": [None, 0]}) is False
    assert apply({"==": [[1], "1"]}) is True
    assert apply({"%": [-7, 2]}) == -1
    assert apply({"cat": [Decimal("14.8140"), None, True]}) == "14.814nulltrue"
    with pytest.raises(RuleEvaluationError):
        apply({"+": [True, 1]})  # parseFloat(true) is NaN in JsonLogic


# --- time zones -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "zone", "hour", "weekday"),
    [
        ("2026-03-29T00:30:00+00:00", "Europe/Berlin", 1, 7),  # before the spring-forward jump (CET)
        ("2026-03-29T01:30:00+00:00", "Europe/Berlin", 3, 7),  # after it (CEST): 02:xx never exists
        ("2026-10-25T00:30:00+00:00", "Europe/Berlin", 2, 7),  # first 02:30 of the autumn fall-back
        ("2026-10-25T01:30:00+00:00", "Europe/Berlin", 2, 7),  # second 02:30
        ("2026-11-01T06:30:00Z", "America/New_York", 1, 7),  # US fall-back day
        ("2026-03-29T21:30:00Z", "Europe/Moscow", 0, 1),  # UTC+3 all year: already Monday
        ("2026-03-29T21:30:00", "UTC", 21, 7),  # no offset means UTC
    ],
)
def test_hour_and_weekday_in_a_zone(moment: str, zone: str, hour: int, weekday: int) -> None:
    data = {"conversion": {"time": moment}}
    assert apply({"hour": [{"var": "conversion.time"}, zone]}, data) == hour
    assert apply({"weekday": [{"var": "conversion.time"}, zone]}, data) == weekday


def test_default_zone_is_the_networks_even_inside_iteration() -> None:
    data = {**MOSCOW, "times": ["2026-03-29T21:30:00Z", "2026-03-29T10:00:00Z"]}
    assert apply({"hour": ["2026-03-29T21:30:00Z"]}, data) == 0
    assert apply({"map": [{"var": "times"}, {"weekday": [{"var": ""}]}]}, data) == [1, 7]


def test_in_group_reads_the_webmasters_groups() -> None:
    assert apply({"in_group": "vip"}, {"webmaster": {"groups": ["email", "vip"]}}) is True
    assert apply({"in_group": "vip"}, {"webmaster": {"groups": []}}) is False
    assert apply({"in_group": "vip"}, {}) is False


def test_every_catalogued_operator_has_a_compiler_factory() -> None:
    assert set(FACTORIES) == set(OPERATORS)


def test_literal_objects_are_data_and_fresh_per_evaluation() -> None:
    compiled = compile_rule({"if": [True, {"status": "reject", "reason": {"var": "x"}}, None]})
    first = compiled.evaluate({"x": "ignored"})
    assert first == {"status": "reject", "reason": {"var": "x"}}  # not evaluated, as in JsonLogic
    first["status"] = "approve"
    assert compiled.evaluate({})["status"] == "reject"


def test_hostile_data_gives_typed_errors_not_crashes() -> None:
    deep: Any = []
    for _ in range(20_000):
        deep = [deep]
    with pytest.raises(RuleEvaluationError) as caught:
        apply({"cat": [{"var": "x"}]}, {"x": deep})
    assert caught.value.code == "evaluation_failed"
    assert apply({"var": "a.b"}, {"a": "string, not an object"}) is None
    assert apply({"in": ["x", {"var": "a"}]}, {"a": 5}) is False
