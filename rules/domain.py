"""Domain operators offer terms need: local hour/weekday, money rounding, percent, webmaster groups."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.coercion import CTX, require_number
from rules.errors import RuleEvaluationError
from rules.money import UnknownCurrencyError, quantize


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; RuleEvaluationError when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleEvaluationError("unknown_timezone", f"unknown time zone {name!r}") from None


def is_known_zone(name: str) -> bool:
    try:
        zone(name)
    except RuleEvaluationError:
        return False
    return True


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise RuleEvaluationError("invalid_timestamp", f"{value!r} is not an ISO-8601 time") from None
    else:
        raise RuleEvaluationError("invalid_timestamp", f"{value!r} is not an ISO-8601 time")
    # A time without offset is taken as UTC: that is how network/ stores every timestamp.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_time(value: Any, zone_name: Any) -> datetime:
    if not isinstance(zone_name, str) or not zone_name:
        raise RuleEvaluationError(
            "missing_timezone", "no time zone given and network.timezone is not set in the data"
        )
    return _as_datetime(value).astimezone(zone(zone_name))


def hour(value: Any, zone_name: Any) -> int:
    """Hour 0..23 of ``value`` on the wall clock of ``zone_name`` (DST aware)."""
    return local_time(value, zone_name).hour


def weekday(value: Any, zone_name: Any) -> int:
    """ISO weekday of ``value`` in ``zone_name``: 1 = Monday ... 7 = Sunday."""
    return local_time(value, zone_name).isoweekday()


def round_money(value: Any, currency: Any) -> Decimal:
    if not isinstance(currency, str):
        raise RuleEvaluationError("unknown_currency", f"{currency!r} is not a currency code")
    try:
        return quantize(require_number(value), currency)
    except UnknownCurrencyError as exc:
        raise RuleEvaluationError("unknown_currency", str(exc)) from None


def percent(value: Any, rate: Any) -> Decimal:
    """``value * rate / 100`` exactly: scaleb shifts the exponent instead of dividing."""
    return CTX.multiply(require_number(value), require_number(rate)).scaleb(-2, CTX)


def in_group(group: Any, groups: Any) -> bool:
    return isinstance(groups, list) and isinstance(group, str) and group in groups
