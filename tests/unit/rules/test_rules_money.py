"""Exact arithmetic, half-even rounding per currency, and loss-free allocation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import UnknownCurrencyError, allocate, apply, minor_units, parse_rule, quantize


def test_parse_rule_keeps_fractions_exact_and_integers_int() -> None:
    rule = parse_rule('{"+": [0.1, 0.2, 3]}')
    assert rule == {"+": [Decimal("0.1"), Decimal("0.2"), 3]}
    assert type(rule["+"][2]) is int


def test_point_one_plus_point_two_is_exactly_point_three() -> None:
    result = apply(parse_rule('{"+": [0.1, 0.2]}'))
    assert isinstance(result, Decimal)
    assert result == Decimal("0.3")


def test_percentage_of_sale_is_exact_before_rounding() -> None:
    result = apply(parse_rule('{"*": [123.45, 0.12]}'))
    assert result == Decimal("14.814")
    assert quantize(result, "USD") == Decimal("14.81")


def test_round_money_and_percent_operators() -> None:
    assert apply(parse_rule('{"round_money": [{"*": [123.45, 0.12]}, "USD"]}')) == Decimal("14.81")
    assert apply(parse_rule('{"percent": [123.45, 12.5]}')) == Decimal("15.43125")
    assert apply(parse_rule('{"round_money": [{"percent": [123.45, 12.5]}, "EUR"]}')) == Decimal("15.43")


def test_no_float_ever_leaks_out_of_arithmetic() -> None:
    rule = parse_rule('{"/": [{"-": [{"*": [10, 0.3]}, 1]}, 3]}')
    result = apply(rule)
    assert isinstance(result, Decimal)
    assert str(result) == "0.6666666666666666666666666666666667"  # 34 significant digits, half-even


def test_float_data_is_read_through_its_decimal_repr() -> None:
    assert apply({"+": [{"var": "x"}, 0.2]}, {"x": 0.1}) == Decimal("0.3")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "USD", "0.12"),  # half to even: down to the even cent
        ("0.135", "USD", "0.14"),  # half to even: up to the even cent
        ("0.145", "EUR", "0.14"),
        ("2.5", "JPY", "2"),
        ("3.5", "JPY", "4"),
        ("1234.56", "KRW", "1235"),
        ("1.2345", "KWD", "1.234"),
        ("1.2355", "BHD", "1.236"),
        ("-0.125", "USD", "-0.12"),
    ],
)
def test_quantize_half_even_per_currency(amount: str, currency: str, expected: str) -> None:
    result = quantize(Decimal(amount), currency)
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -minor_units(currency)


def test_minor_units_table() -> None:
    assert {c: minor_units(c) for c in ("USD", "JPY", "KWD", "RUB", "KZT", "UAH", "TRY", "INR")} == {
        "USD": 2,
        "JPY": 0,
        "KWD": 3,
        "RUB": 2,
        "KZT": 2,
        "UAH": 2,
        "TRY": 2,
        "INR": 2,
    }
    with pytest.raises(UnknownCurrencyError):
        quantize(Decimal(1), "XXZ")


def test_allocate_ten_in_three_parts() -> None:
    parts = allocate(Decimal("10.00"), [1, 1, 1], "USD")
    assert parts == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    assert sum(parts) == Decimal("10.00")


@pytest.mark.parametrize(
    ("amount", "weights", "currency"),
    [
        ("100.00", [Decimal("0.7"), Decimal("0.2"), Decimal("0.1")], "USD"),
        ("0.05", [1, 1, 1, 1, 1, 1, 1], "EUR"),
        ("1001", [3, 3, 1], "JPY"),
        ("-10.00", [1, 2], "USD"),
        ("7.777", [5, 0, 5], "KWD"),
    ],
)
def test_allocate_always_sums_exactly(amount: str, weights: list[Decimal | int], currency: str) -> None:
    parts = allocate(Decimal(amount), weights, currency)
    assert sum(parts) == quantize(Decimal(amount), currency)
    assert all(p.as_tuple().exponent == -minor_units(currency) for p in parts)


def test_allocate_is_deterministic_and_gives_leftovers_to_largest_remainders() -> None:
    # 1.00 by 1:1:1:3 -> exact 0.1666.., 0.1666.., 0.1666.., 0.5: the two leftover cents go to the first two.
    assert allocate(Decimal("1.00"), [1, 1, 1, 3], "USD") == [
        Decimal("0.17"),
        Decimal("0.17"),
        Decimal("0.16"),
        Decimal("0.50"),
    ]


def test_allocate_refuses_bad_weights() -> None:
    with pytest.raises(ValueError, match="zero"):
        allocate(Decimal(1), [0, 0], "USD")
    with pytest.raises(ValueError, match="negative"):
        allocate(Decimal(1), [1, -1], "USD")


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False, allow_infinity=False),
    st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=8).filter(any),
)
def test_allocate_property_sum_and_fairness(amount: Decimal, weights: list[int]) -> None:
    parts = allocate(amount, weights, "USD")
    assert sum(parts) == amount
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = amount * weight / total
        assert abs(part - exact) < Decimal("0.01")  # nobody is off by a whole cent or more
