"""Save-time validation: pointers, codes, messages, limits, and hostile input handled iteratively."""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import (
    DEFAULT_LIMITS,
    TERMS_CONTEXT,
    Limits,
    ResultKind,
    RuleError,
    RuleEvaluationError,
    RuleProblem,
    RuleValidationError,
    compile_rule,
    parse_rule,
    validate_rule,
)
from rules.operators import OPERATORS


def codes(problems: list[RuleProblem]) -> list[tuple[str, str]]:
    return [(p.pointer, p.code) for p in problems]


def nested(depth: int) -> Any:
    rule: Any = 1
    for _ in range(depth):
        rule = {"+": [rule]}
    return rule


def test_a_good_payout_rule_has_no_problems() -> None:
    rule = parse_rule(
        '{"if": [{"in": [{"var": "click.country"}, ["US", "GB"]]},'
        ' {"percent": [{"var": "conversion.sale_amount"}, 12.5]},'
        ' {"<": [{"var": "conversion.count_this_month"}, 100]}, 5, 7.5]}'
    )
    assert validate_rule(rule, result=ResultKind.AMOUNT) == []


def test_unknown_operator_has_pointer_and_suggestion() -> None:
    problems = validate_rule({"if": [{"iff": [True, 1, 2]}, 1, 2]})
    assert codes(problems) == [("/if/0/iff", "unknown_operator")]
    assert problems[0].message == "unknown operator 'iff' — did you mean 'if'?"


def test_wrong_arity() -> None:
    problems = validate_rule({"and": [{"substr": ["abc"]}, {"?:": [True, 1]}]})
    assert codes(problems) == [("/and/0/substr", "wrong_arity"), ("/and/1/?:", "wrong_arity")]
    assert "'substr' takes 2 to 3 arguments, got 1" in problems[0].message


def test_unknown_variable_with_suggestion() -> None:
    problems = validate_rule({"==": [{"var": "click.contry"}, "US"]})
    assert codes(problems) == [("/==/0/var", "unknown_variable")]
    assert "did you mean 'click.country'" in problems[0].message


def test_variables_inside_iteration_bodies_refer_to_elements() -> None:
    assert validate_rule({"some": [{"var": "webmaster.groups"}, {"==": [{"var": ""}, "vip"]}]}) == []
    problems = validate_rule({"reduce": [{"var": "webmaster.groups"}, {"var": "offer.id"}, 0]})
    assert codes(problems) == [("/reduce/1/var", "unknown_variable")]


def test_hold_days_out_of_range_is_wrong_result_type() -> None:
    problems = validate_rule({"if": [{"var": "goal"}, 400, 30]}, result=ResultKind.HOLD_DAYS)
    assert codes(problems) == [("/if/1", "wrong_result_type")]
    assert "400" in problems[0].message


def test_negative_payout_literal() -> None:
    problems = validate_rule({"?:": [{"var": "goal"}, Decimal("-5.00"), 3]}, result=ResultKind.AMOUNT)
    assert codes(problems) == [("/?:/1", "wrong_result_type")]
    assert "non-negative" in problems[0].message


def test_static_inference_of_operator_and_variable_results() -> None:
    problems = validate_rule(
        {"if": [True, {"cat": ["1", "2"]}, {"var": "click.country"}]}, result=ResultKind.AMOUNT
    )
    assert codes(problems) == [("/if/1/cat", "wrong_result_type"), ("/if/2/var", "wrong_result_type")]


def test_if_without_else_cannot_be_a_payout() -> None:
    problems = validate_rule({"if": [{"var": "goal"}, 5]}, result=ResultKind.AMOUNT)
    assert codes(problems) == [("/if", "wrong_result_type")]


@pytest.mark.parametrize(
    ("rule", "ok"),
    [
        ("approve", True),
        (None, True),
        (["reject", "fraud_geo"], True),
        ({"status": "hold", "reason": "manual"}, True),
        ("rejected", False),
        (["reject", "Fraud Geo"], False),
        (5, False),
    ],
)
def test_status_literals(rule: Any, ok: bool) -> None:
    problems = validate_rule({"if": [{"var": "goal"}, rule, "approve"]}, result=ResultKind.STATUS)
    assert (problems == []) is ok


def test_domain_literals_are_checked() -> None:
    problems = validate_rule(
        {"+": [{"hour": [{"var": "conversion.time"}, "Mars/Olympus"]}, {"round_money": [1, "XYZ"]}]}
    )
    assert codes(problems) == [
        ("/+/0/hour/1", "unknown_timezone"),
        ("/+/1/round_money/1", "unknown_currency"),
    ]


def test_ten_thousand_deep_is_too_deep_quickly_without_recursion_error() -> None:
    rule = nested(10_000)
    started = time.perf_counter()
    problems = validate_rule(rule)
    assert time.perf_counter() - started < 1.0
    assert [p.code for p in problems] == ["too_deep"]
    assert problems[0].pointer.startswith("/+/0/+/0/")
    assert problems[0].pointer.count("/") == DEFAULT_LIMITS.max_depth
    with pytest.raises(RuleValidationError) as caught:
        compile_rule(rule)
    assert caught.value.problems[0].pointer == problems[0].pointer
    assert caught.value.problems[0].code == "too_deep"


def test_parse_rule_of_very_deep_text_is_a_validation_error() -> None:
    with pytest.raises(RuleValidationError) as caught:
        parse_rule('{"!":' * 100_000 + "1" + "}" * 100_000)
    assert caught.value.problems[0].code == "too_deep"


@pytest.mark.parametrize(
    "rule",
    [
        {"+": list(range(1_000_000))},
        {"and": [{"==": [{"var": "goal"}, "x"]} for _ in range(250_000)]},
        [[1] * 1000 for _ in range(1000)],
    ],
    ids=["flat", "wide-ops", "nested-lists"],
)
def test_a_million_nodes_is_too_many_nodes_quickly(rule: Any) -> None:
    started = time.perf_counter()
    problems = validate_rule(rule)
    with pytest.raises(RuleValidationError) as caught:
        compile_rule(rule)
    assert time.perf_counter() - started < 1.0
    assert [p.code for p in problems] == ["too_many_nodes"]
    assert caught.value.problems[0].code == "too_many_nodes"


def test_depth_and_node_limits_are_configurable() -> None:
    small = Limits(max_depth=8, max_nodes=10)
    assert [p.code for p in validate_rule(nested(4), limits=small)] == ["too_deep"]
    assert [p.code for p in validate_rule({"+": list(range(20))}, limits=small)] == ["too_many_nodes"]
    assert validate_rule(nested(3), limits=small) == []
    with pytest.raises(ValueError, match="max_depth"):
        Limits(max_depth=10_000)


def test_compile_rule_refuses_structural_problems_with_all_of_them() -> None:
    with pytest.raises(RuleValidationError) as caught:
        compile_rule({"and": [{"nope": 1}, {"==": [1]}]})
    assert codes(caught.value.problems) == [("/and/0/nope", "unknown_operator"), ("/and/1/==", "wrong_arity")]
    assert "unknown operator 'nope'" in str(caught.value)


def test_objects_with_several_keys_are_data_and_not_checked_as_operators() -> None:
    assert validate_rule({"status": "reject", "reason": {"iff": 1}}, result=ResultKind.STATUS) == []


def test_pointers_escape_slash_and_tilde() -> None:
    problems = validate_rule({"/": [{"var": "a~b"}, 2]})
    assert codes(problems) == [("/~1/0/var", "unknown_variable")]


def test_non_json_values_are_refused() -> None:
    problems = validate_rule({"+": [1, {1, 2}]})
    assert codes(problems) == [("/+/1", "invalid_value")]
    assert codes(validate_rule({"+": [1, {1: "a"}]})) == [("/+/1", "invalid_value")]
    with pytest.raises(RuleValidationError) as caught:
        compile_rule({"+": [1, {1: "a", "b": 2}]})
    assert codes(caught.value.problems) == [("/+/1", "invalid_value")]
    with pytest.raises(RuleValidationError):
        compile_rule({"+": [1, b"x"]})


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=5)
    | st.sampled_from(["var", "if", "+", "iff"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from([*OPERATORS, "x", "iff"]), children, min_size=1, max_size=2)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSONISH)
def test_validation_and_compilation_never_crash_and_agree(rule: Any) -> None:
    """Any JSON value: validation returns problems (never raises), and compile_rule succeeds exactly when
    there are no structural problems; evaluation only ever raises typed rule errors."""
    structural = validate_rule(rule, context=TERMS_CONTEXT)
    structural_codes = {"unknown_operator", "wrong_arity", "too_deep", "too_many_nodes", "invalid_value"}
    blocking = [p for p in structural if p.code in structural_codes]
    try:
        compiled = compile_rule(rule)
    except RuleValidationError as exc:
        assert blocking, exc.problems
        return
    assert not blocking
    with contextlib.suppress(RuleError):  # typed errors are fine; anything else fails the test
        compiled.evaluate({"x": [1, "a", None]})


def test_missing_some_with_a_non_numeric_count_is_a_typed_error() -> None:
    # Found by the property test above in CI: a string count escaped as an internal CoercionError.
    compiled = compile_rule({"missing_some": [":", ["a", "b"]]})
    with pytest.raises(RuleEvaluationError) as caught:
        compiled.evaluate({"a": 1})
    assert caught.value.code == "not_a_number" and caught.value.pointer == ""
