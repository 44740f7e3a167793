"""Terms programs, status decisions, structural diff and backtests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from rules import (
    RuleEvaluationError,
    RuleValidationError,
    TermsProgram,
    TraceStep,
    backtest,
    diff_rules,
    parse_rule,
)
from rules.diff import ABSENT

PAYOUT = parse_rule(
    """{"if": [
        {"in_group": "vip"}, {"percent": [{"var": "conversion.sale_amount"}, 15]},
        {"in": [{"var": "click.country"}, ["US", "GB", "CA"]]},
        {"percent": [{"var": "conversion.sale_amount"}, 12.5]},
        {">=": [{"var": "conversion.count_this_month"}, 100]}, 6.50,
        5
    ]}"""
)
REVENUE = parse_rule('{"percent": [{"var": "conversion.sale_amount"}, 20]}')
HOLD = parse_rule('{"if": [{"in": [{"weekday": [{"var": "conversion.time"}]}, [6, 7]]}, 14, 7]}')
STATUS = parse_rule(
    '{"if": [{"in": [{"var": "click.country"}, ["KP", "IR"]]}, ["reject", "fraud_geo"],'
    ' {"<": [{"var": "conversion.ctct_seconds"}, 10]}, {"status": "hold", "reason": "below_min_ctct"}, null]}'
)


def context(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "network": {"timezone": "Europe/Moscow"},
        "webmaster": {"id": 7, "groups": []},
        "click": {"country": "DE"},
        "conversion": {
            "time": "2026-03-27T12:00:00Z",  # a Friday
            "sale_amount": Decimal("123.45"),
            "ctct_seconds": 600,
            "count_this_month": 3,
        },
    }
    for path, value in overrides.items():
        section, key = path.split("__")
        base[section] = {**base[section], key: value}
    return base


def program(**changes: Any) -> TermsProgram:
    rules = {"payout": PAYOUT, "revenue": REVENUE, "hold_days": HOLD, "status": STATUS, **changes}
    return TermsProgram.from_rules(**rules)


def test_evaluate_quantizes_money_and_reads_every_field() -> None:
    result = program().evaluate(context(click__country="US"))
    assert result.payout == Decimal("15.43")  # 123.45 * 12.5% = 15.43125
    assert result.revenue == Decimal("24.69")
    assert result.hold_days == 7
    assert (result.status, result.reason) == (None, None)
    assert result.trace == []


def test_status_forms_and_reason_codes() -> None:
    assert program().evaluate(context(click__country="KP")).status == "reject"
    assert program().evaluate(context(click__country="KP")).reason == "fraud_geo"
    held = program().evaluate(context(conversion__ctct_seconds=3))
    assert (held.status, held.reason) == ("hold", "below_min_ctct")
    assert program(status="approve").evaluate(context()).status == "approve"


def test_weekend_hold_and_volume_tier() -> None:
    result = program().evaluate(
        context(conversion__time="2026-03-28T12:00:00Z", conversion__count_this_month=150)
    )
    assert result.hold_days == 14
    assert result.payout == Decimal("6.50")


def test_trace_is_prefixed_by_field() -> None:
    result = program().evaluate(context(webmaster__groups=["vip"]), trace=True)
    assert TraceStep("/payout", "if", 1) in result.trace
    assert TraceStep("/status", "if", 4) in result.trace  # the explicit null else-branch
    assert all(
        step.pointer.split("/")[1] in ("payout", "revenue", "hold_days", "status") for step in result.trace
    )


def test_from_rules_reports_every_problem_prefixed_by_field() -> None:
    with pytest.raises(RuleValidationError) as caught:
        TermsProgram.from_rules(
            payout={"if": [{"var": "click.contry"}, -1, 2]},
            revenue={"iff": [1]},
            hold_days=400,
            status="rejected",
            currency="XYZ",
        )
    found = [(p.pointer, p.code) for p in caught.value.problems]
    assert found == [
        ("/currency", "unknown_currency"),
        ("/payout/if/0/var", "unknown_variable"),
        ("/payout/if/1", "wrong_result_type"),
        ("/revenue/iff", "unknown_operator"),
        ("/hold_days", "wrong_result_type"),
        ("/status", "wrong_result_type"),
    ]


@pytest.mark.parametrize(
    ("field", "rule", "data_override"),
    [
        ("payout", {"-": [{"var": "conversion.sale_amount"}, 1000]}, {}),
        ("hold_days", {"var": "conversion.ctct_seconds"}, {}),
        ("status", {"cat": ["re", "ject", "ed"]}, {}),
    ],
)
def test_wrong_results_at_runtime_are_typed_errors(
    field: str, rule: Any, data_override: dict[str, Any]
) -> None:
    with pytest.raises(RuleEvaluationError) as caught:
        program(**{field: rule}).evaluate(context())
    assert caught.value.code == "wrong_result_type"
    assert caught.value.pointer == f"/{field}"


def test_evaluation_errors_are_prefixed_by_field() -> None:
    terms = program(revenue={"/": [{"var": "conversion.sale_amount"}, {"var": "conversion.ctct_seconds"}]})
    with pytest.raises(RuleEvaluationError) as caught:
        terms.evaluate(context(conversion__ctct_seconds=0))
    assert (caught.value.code, caught.value.pointer) == ("division_by_zero", "/revenue")


def test_version_changes_with_any_rule_and_currency() -> None:
    assert program().version == program().version
    assert program().version != program(hold_days=8).version
    assert program().version != TermsProgram.from_rules(payout=PAYOUT, revenue=REVENUE, hold_days=HOLD,
                                                        status=STATUS, currency="EUR").version  # fmt: skip


def test_diff_rules_lists_changes_by_pointer() -> None:
    before = {"if": [{"<": [{"var": "a"}, 100]}, 5, 7]}
    after = {"if": [{"<=": [{"var": "a"}, 100]}, Decimal("5.0"), 8, 9]}
    assert diff_rules(before, after) == [
        ("/if/0", {"<": [{"var": "a"}, 100]}, {"<=": [{"var": "a"}, 100]}),
        ("/if/2", 7, 8),
        ("/if/3", ABSENT, 9),
    ]
    assert diff_rules(before, before) == []
    assert diff_rules({"==": [1, True]}, {"==": [1, 1]}) == [("/==/1", True, 1)]


def samples() -> list[dict[str, Any]]:
    rows = []
    for i in range(60):
        rows.append(
            context(
                webmaster__id=i % 4,
                webmaster__groups=["vip"] if i % 4 == 0 else [],
                click__country=["US", "DE", "KP", "GB"][i % 4 if i % 7 else 2],
                conversion__sale_amount=Decimal(10 + i) + Decimal("0.99"),
                conversion__count_this_month=i * 3,
            )
        )
    return rows


def test_backtest_totals_equal_the_sum_of_individual_evaluations() -> None:
    current = program()
    draft = program(payout=parse_rule('{"if": [{"in_group": "vip"}, 9.99, {"percent": [{"var": '
                                      '"conversion.sale_amount"}, 11]}]}'))  # fmt: skip
    seen: list[int] = []
    report = backtest(current, draft, samples(), progress=seen.append)
    assert seen == [60]

    def booked(terms: TermsProgram, row: dict[str, Any]) -> tuple[Decimal, Decimal]:
        result = terms.evaluate(row)
        return (Decimal(0), Decimal(0)) if result.status == "reject" else (result.payout, result.revenue)

    expected_current = [booked(current, row) for row in samples()]
    expected_draft = [booked(draft, row) for row in samples()]
    assert report.totals.count == 60
    assert report.totals.current_payout == sum(p for p, _ in expected_current)
    assert report.totals.draft_payout == sum(p for p, _ in expected_draft)
    assert report.totals.current_revenue == sum(r for _, r in expected_current)
    assert report.totals.payout_delta == report.totals.draft_payout - report.totals.current_payout
    assert set(report.by_webmaster) == {0, 1, 2, 3}
    assert sum(row.payout_delta for row in report.by_webmaster.values()) == report.totals.payout_delta
    for wm_id, row in report.by_webmaster.items():
        rows = [i for i, sample in enumerate(samples()) if sample["webmaster"]["id"] == wm_id]
        assert row.draft_payout == sum(expected_draft[i][0] for i in rows)
    assert report.biggest_changes(1)[0].payout_delta == max(
        (r.payout_delta for r in report.by_webmaster.values()), key=abs
    )
    assert report.errors == []


def test_backtest_collects_failing_samples_instead_of_stopping() -> None:
    bad = context()
    del bad["network"]  # hold_days needs the network time zone
    report = backtest(program(), program(), [context(), bad, context()])
    assert report.totals.count == 2
    assert [(e.index, e.program, e.pointer) for e in report.errors] == [
        (1, "current", "/hold_days/if/0/in/0")
    ]


def test_backtest_refuses_mixed_currencies() -> None:
    euro = TermsProgram.from_rules(payout=1, revenue=2, currency="EUR")
    with pytest.raises(ValueError, match="EUR"):
        backtest(program(), euro, [])
