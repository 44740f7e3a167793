"""Money at the persistence boundary: stored as integer minor units, handled as Decimal everywhere else.

Integers keep amounts exact on both SQLite and PostgreSQL (piccolo's SQLite engine would store Decimal as
float). The minor-unit table and rounding live in rules.money.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from network.errors import ValidationError


def _exponent(currency: str) -> int:
    from rules.money import minor_units

    return minor_units(currency)


def to_minor(amount: str | Decimal, currency: str, *, field: str = "amount") -> int:
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise ValidationError(f"{field}: {amount!r} is not an amount", field=field) from exc
    exp = _exponent(currency)
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise ValidationError(f"{field}: {currency} amounts have at most {exp} decimal places", field=field)
    return int(scaled)


def from_minor(value: int, currency: str) -> Decimal:
    exp = _exponent(currency)
    return Decimal(value).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))
