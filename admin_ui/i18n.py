"""Languages of the cabinets: the message catalogues, choosing a locale, and locale-aware formatting.

Catalogues are flat JSON files in ``admin_ui/locales``: ``<locale>.json`` for what every page shares and
``<area>/<locale>.json`` per cabinet area, merged (a key may be defined once); every locale has the same keys
and the same files (a test checks that). A value is a string with ``{name}`` placeholders, or for counted
phrases a dict of plural forms (``one``/``other`` in English, ``one``/``few``/``many`` in Russian).
English is the default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from network.accounts.schemas import SUPPORTED_LOCALES
from rules.money import UnknownCurrencyError, minor_units

LOCALES = SUPPORTED_LOCALES
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).parent / "locales"
NBSP = "\u00a0"
UTC_ZONE = ZoneInfo("UTC")

Message = str | dict[str, str]

# Symbols for the currencies a network is likely to settle in; others are written with their ISO code.
SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "RUB": "₽",
    "UAH": "₴",
    "KZT": "₸",
    "TRY": "₺",
    "INR": "₹",
    "JPY": "¥",
    "BYN": "Br",
}

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def catalogue_files(locale: str) -> list[Path]:
    """The shared catalogue ``locales/<locale>.json``, then one per area: ``locales/<area>/<locale>.json``."""
    return [LOCALE_DIR / f"{locale}.json", *sorted(LOCALE_DIR.glob(f"*/{locale}.json"))]


@cache
def catalogue(locale: str) -> dict[str, Message]:
    merged: dict[str, Message] = {}
    for path in catalogue_files(locale):
        with path.open(encoding="utf-8") as handle:
            loaded: dict[str, Message] = json.load(handle)
        clash = sorted(set(merged) & set(loaded))
        if clash:
            raise ValueError(f"{path}: messages defined in another catalogue file too: {', '.join(clash)}")
        merged.update(loaded)
    return merged


def negotiate(accept_language: str) -> str | None:
    """The best supported locale in an Accept-Language header (RFC 9110 quality values), or None."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LOCALES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def choose_locale(*, user_locale: str | None, cookie: str | None, accept_language: str) -> str:
    """A signed-in user's own setting; else the language switch's cookie; else the browser's languages."""
    for candidate in (user_locale, cookie):
        if candidate in LOCALES:
            return candidate
    return negotiate(accept_language) or DEFAULT_LOCALE


def _plural_form(locale: str, n: int) -> str:
    if locale == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "many"
    return "one" if n == 1 else "other"


class Translator:
    """``t("key", name=value)`` looks a message up; an unknown key is an error, so a typo fails the tests."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._messages = catalogue(locale)

    def __call__(self, key: str, **params: Any) -> str:
        message = self._messages[key]
        if isinstance(message, dict):
            raise TypeError(f"{key} is a counted message: use t.plural")
        return message.format_map(params) if params else message

    def plural(self, key: str, n: int, **params: Any) -> str:
        forms = self._messages[key]
        if not isinstance(forms, dict):
            raise TypeError(f"{key} is not a counted message")
        return forms[_plural_form(self.locale, n)].format_map({"n": n, **params})

    def label(self, group: str, value: str | None) -> str:
        """A translated label for a value of an enumeration (a status, a reason code), or the value itself
        when the catalogue does not know it (a rule's own reason code, say)."""
        if not value:
            return ""
        message = self._messages.get(f"{group}.{value}")
        return message if isinstance(message, str) else value

    def has(self, key: str) -> bool:
        return key in self._messages


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


@dataclass(frozen=True)
class Formatter:
    """Numbers, money and dates in the reader's locale; dates in the network's time zone."""

    locale: str
    zone: ZoneInfo = UTC_ZONE

    @property
    def _separators(self) -> tuple[str, str]:
        return (NBSP, ",") if self.locale == "ru" else (",", ".")

    def number(self, value: int | Decimal | str | None, places: int = 0) -> str:
        if value is None:
            return "—"
        amount = Decimal(value)
        group, decimal = self._separators
        sign = "-" if amount < 0 else ""
        text = f"{abs(amount):.{places}f}"
        whole, _, fraction = text.partition(".")
        out = _group(whole, group)
        return sign + (out + decimal + fraction if fraction else out)

    def parse_amount(self, text: str) -> str:
        """An amount as a person types it in this locale ("1,234.50" / "1 234,50") as a plain decimal
        string; what is not an amount comes back for the schema to refuse."""
        compact = "".join(text.split())
        if self.locale == "ru":
            return compact.replace(",", ".")
        return compact.replace(",", "")

    def money(self, amount: str | Decimal | None, currency: str) -> str:
        """en: ``$1,234.50``, ``-$3.00``, ``CHF 10.00``; ru: ``1 234,50 $`` (no-break spaces)."""
        if amount is None:
            return "—"
        try:
            places = minor_units(currency)
        except UnknownCurrencyError:
            places = 2
        value = Decimal(amount)
        body = self.number(abs(value), places)
        sign = "-" if value < 0 else ""
        symbol = SYMBOLS.get(currency)
        if self.locale == "ru":
            return f"{sign}{body}{NBSP}{symbol or currency}"
        return f"{sign}{symbol}{body}" if symbol else f"{sign}{currency}{NBSP}{body}"

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return "—"
        day = self.local(value).date() if isinstance(value, datetime) else value
        if self.locale == "ru":
            return f"{day.day:02d}.{day.month:02d}.{day.year}"
        return f"{MONTHS_EN[day.month - 1]} {day.day}, {day.year}"

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        moment = self.local(value)
        return f"{self.day(moment.date())}, {moment.hour:02d}:{moment.minute:02d}"

    def day_short(self, day: date) -> str:
        """A chart's axis label."""
        if self.locale == "ru":
            return f"{day.day:02d}.{day.month:02d}"
        return f"{MONTHS_EN[day.month - 1]} {day.day}"
