"""Exact money: ISO-4217 minor units, half-even quantization and loss-free allocation."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from rules.coercion import CTX

# ISO 4217 minor units (digits after the decimal point) for the currencies networks settle in.
MINOR_UNITS: dict[str, int] = {
    # zero-decimal currencies
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "PYG": 0, "XOF": 0, "XAF": 0,
    "RWF": 0, "GNF": 0, "KMF": 0, "DJF": 0, "VUV": 0, "XPF": 0, "BIF": 0,
    # three-decimal currencies
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
    # four decimals (units of account)
    "CLF": 4, "UYW": 4,
    # two decimals
    "USD": 2, "EUR": 2, "RUB": 2, "GBP": 2, "INR": 2, "BRL": 2, "KZT": 2, "UAH": 2, "TRY": 2,
    "CNY": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "PLN": 2, "CZK": 2, "SEK": 2, "NOK": 2,
    "DKK": 2, "HUF": 2, "RON": 2, "BGN": 2, "RSD": 2, "MXN": 2, "ARS": 2, "COP": 2, "PEN": 2,
    "IDR": 2, "THB": 2, "PHP": 2, "MYR": 2, "SGD": 2, "HKD": 2, "TWD": 2, "AED": 2, "SAR": 2,
    "QAR": 2, "ILS": 2, "EGP": 2, "ZAR": 2, "NGN": 2, "KES": 2, "PKR": 2, "BDT": 2, "BYN": 2,
    "GEL": 2, "AMD": 2, "AZN": 2, "UZS": 2, "KGS": 2, "MDL": 2, "USDT": 2,
}  # fmt: skip


class UnknownCurrencyError(ValueError):
    """The currency code is not in MINOR_UNITS."""


def minor_units(currency: str) -> int:
    try:
        return MINOR_UNITS[currency.upper()]
    except KeyError:
        raise UnknownCurrencyError(f"unknown currency {currency!r}") from None


def quantize(amount: Decimal | int, currency: str) -> Decimal:
    """Round ``amount`` to the currency's minor unit, half to even (banker's rounding)."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_EVEN, context=CTX)


def allocate(amount: Decimal | int, weights: Sequence[Decimal | int], currency: str) -> list[Decimal]:
    """Split ``amount`` by ``weights`` into minor-unit amounts that sum exactly to ``amount``.

    Largest remainder method: everybody gets the floor of their exact share, and the leftover minor units go
    one each to the largest fractional remainders; ties go to the earlier weight, so the result is
    deterministic (10.00 in three equal parts is 3.34, 3.33, 3.33).
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if any(Decimal(w) < 0 for w in weights):
        raise ValueError("weights must not be negative")
    total_weight = sum((Fraction(w) for w in weights), Fraction(0))
    if total_weight == 0:
        raise ValueError("weights must not all be zero")
    digits = minor_units(currency)
    quantized = quantize(amount, currency)
    sign = -1 if quantized < 0 else 1
    units = int(abs(quantized).scaleb(digits, context=CTX))
    shares = [Fraction(units) * Fraction(w) / total_weight for w in weights]
    floors = [int(share) for share in shares]  # shares are non-negative, so int() is the floor
    leftover = units - sum(floors)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for index in by_remainder[:leftover]:
        floors[index] += 1
    return [(Decimal(sign * part).scaleb(-digits, context=CTX)) for part in floors]
