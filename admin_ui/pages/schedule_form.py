"""An offer's weekly schedule in the advertiser's offer form: a time zone and, per weekday, the open hours
written as ranges (``9-18`` is 9:00 to 18:00, ``0-24`` the whole day, ``9-12, 14-18`` two ranges, ``12`` the
hour from 12:00). Every day empty means no schedule; once a day has hours, a day left empty is closed. The
API's shape is ``targeting.schedule = {timezone, hours: {mon: [9, 10, ...], ...}}``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from admin_ui.forms import FormErrors
from admin_ui.session import UiContext

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ZONE_FIELD = "targeting.schedule.timezone"
RANGE = re.compile(r"^(\d{1,2})(?:\s*-\s*(\d{1,2}))?$")


def day_field(day: str) -> str:
    return f"targeting.schedule.hours.{day}"


def parse_hours(text: str) -> list[int]:
    """The hours a day's text opens, sorted; ``ValueError`` for anything else."""
    hours: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        match = RANGE.fullmatch(part)
        if match is None:
            raise ValueError(part)
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) is not None else start + 1
        if not 0 <= start < end <= 24:
            raise ValueError(part)
        hours.update(range(start, end))
    return sorted(hours)


def format_hours(hours: Iterable[int]) -> str:
    """The shortest ranges for a set of hours (``[9, 10, 11, 14]`` is ``9-12, 14-15``)."""
    ranges: list[tuple[int, int]] = []
    for hour in sorted(set(hours)):
        if ranges and ranges[-1][1] == hour:
            ranges[-1] = (ranges[-1][0], hour + 1)
        else:
            ranges.append((hour, hour + 1))
    return ", ".join(f"{a}-{b}" for a, b in ranges)


def schedule_body(values: dict[str, str], ui: UiContext) -> tuple[dict[str, Any] | None, FormErrors]:
    """The API's ``schedule`` from the form (None: no schedule), and the days that do not read."""
    errors = FormErrors.empty()
    hours: dict[str, list[int]] = {}
    for day in WEEKDAYS:
        text = values.get(day_field(day), "").strip()
        if not text:
            continue
        try:
            hours[day] = parse_hours(text)
        except ValueError:
            errors.fields[day_field(day)] = ui.t("adv.offers.hours_invalid")
    if errors or not hours:
        return None, errors
    zone = values.get(ZONE_FIELD, "").strip() or (ui.network.timezone if ui.network else "UTC")
    return {"timezone": zone, "hours": hours}, errors


def schedule_values(schedule: Any) -> dict[str, str]:
    """The form's fields for an offer's schedule (an ``offers.schemas.Schedule`` or None)."""
    if schedule is None or not schedule.hours:
        return {}
    values = {ZONE_FIELD: schedule.timezone}
    for day in WEEKDAYS:
        values[day_field(day)] = format_hours(schedule.hours.get(day, []))
    return values
