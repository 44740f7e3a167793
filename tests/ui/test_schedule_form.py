"""The offer form's hour ranges: what reads, what does not, and that showing a schedule and reading it back
gives the same hours."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admin_ui.pages.schedule_form import format_hours, parse_hours


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("9-18", list(range(9, 18))),
        ("0-24", list(range(24))),
        ("9-12, 14-18", [9, 10, 11, 14, 15, 16, 17]),
        ("12", [12]),
        (" 8 - 10 ,", [8, 9]),
        ("9-12,10-13", [9, 10, 11, 12]),
        ("23", [23]),
    ],
)
def test_ranges_that_read(text: str, hours: list[int]) -> None:
    assert parse_hours(text) == hours


@pytest.mark.parametrize("text", ["18-9", "9-9", "24", "0-25", "noon", "9-", "-3", "9:00-18:00", "1.5"])
def test_ranges_that_do_not(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hours(text)


@given(st.sets(st.integers(min_value=0, max_value=23)))
def test_shown_hours_read_back_the_same(hours: set[int]) -> None:
    assert parse_hours(format_hours(hours)) == sorted(hours)
