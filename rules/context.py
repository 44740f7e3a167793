"""The documented data a terms rule can read (filled by network/ at conversion time).

Every variable has a path (what ``{"var": ...}`` takes), a type, a description and an example; the
validator refuses paths that are not here, and docs/rules.md lists the same table.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from rules.operators import Category


class VarType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    AMOUNT = "amount"  # Decimal in the offer's or the conversion's currency
    TIMESTAMP = "timestamp"  # ISO-8601 string with offset, e.g. "2026-03-29T01:30:00+00:00"
    COUNTRY = "country"  # ISO 3166-1 alpha-2, upper case
    STRING_LIST = "string_list"

    @property
    def category(self) -> Category:
        if self in (VarType.INTEGER, VarType.AMOUNT):
            return Category.NUMBER
        if self is VarType.STRING_LIST:
            return Category.ARRAY
        return Category.STRING


@dataclass(frozen=True, slots=True)
class VarSpec:
    path: str
    type: VarType
    description: str
    example: object


@dataclass(frozen=True)
class ContextSpec:
    variables: Mapping[str, VarSpec]
    # Every proper prefix of a variable path ("click", "conversion.params") names an object.
    _objects: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        prefixes: set[str] = set()
        for path in self.variables:
            parts = path.split(".")
            prefixes.update(".".join(parts[:i]) for i in range(1, len(parts)))
        object.__setattr__(self, "_objects", frozenset(prefixes))

    @classmethod
    def of(cls, specs: Iterable[VarSpec]) -> ContextSpec:
        return cls({spec.path: spec for spec in specs})

    def category(self, path: str) -> Category | None:
        """Static category of ``path``, or ``None`` when the context has no such variable."""
        if path == "":
            return Category.OBJECT
        spec = self.variables.get(path)
        if spec is not None:
            return spec.type.category
        return Category.OBJECT if path in self._objects else None

    def suggest(self, path: str) -> str | None:
        matches = difflib.get_close_matches(path, list(self.variables), n=1, cutoff=0.6)
        return matches[0] if matches else None


def _v(path: str, type_: VarType, description: str, example: object) -> VarSpec:
    return VarSpec(path, type_, description, example)


_S, _I, _A, _T = VarType.STRING, VarType.INTEGER, VarType.AMOUNT, VarType.TIMESTAMP

TERMS_CONTEXT = ContextSpec.of(
    [
        _v(
            "network.timezone", _S, "IANA time zone of the network (default of hour/weekday)", "Europe/Moscow"
        ),
        _v("network.currency", _S, "the network's accounting currency", "USD"),
        _v("offer.id", _I, "offer id", 42),
        _v("offer.category", _S, "offer category key", "finance"),
        _v("goal", _S, "goal key of the conversion", "deposit"),
        _v("webmaster.id", _I, "webmaster id", 1007),
        _v("webmaster.groups", VarType.STRING_LIST, "groups the webmaster belongs to", ["vip", "email"]),
        _v("click.country", VarType.COUNTRY, "ISO-2 country of the click", "DE"),
        _v("click.device", _S, "device class: desktop, mobile, tablet", "mobile"),
        _v("click.os", _S, "operating system family", "Android"),
        *(_v(f"click.sub{i}", _S, f"webmaster's sub{i} value", f"s{i}") for i in range(1, 11)),
        _v("click.source", _S, "traffic source declared by the webmaster", "push"),
        _v("click.time", _T, "time of the click", "2026-03-29T00:15:00+00:00"),
        _v("conversion.time", _T, "time of the conversion", "2026-03-29T01:30:00+00:00"),
        _v("conversion.sale_amount", _A, "sale value reported by the advertiser", Decimal("123.45")),
        _v("conversion.currency", _S, "ISO-4217 currency of sale_amount", "USD"),
        _v("conversion.order_id", _S, "advertiser's order id", "A-10023"),
        _v("conversion.ctct_seconds", _I, "click-to-conversion time in seconds", 5400),
        _v(
            "conversion.count_this_month",
            _I,
            "webmaster's approved conversions on this offer this month (before this one)",
            57,
        ),
        *(
            _v(f"conversion.params.adv{i}", _S, f"advertiser's adv{i} postback value", f"a{i}")
            for i in range(1, 11)
        ),
    ]
)
