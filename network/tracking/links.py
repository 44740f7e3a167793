"""Reading tracking links in every dialect users already have (docs/api.md, CONVENTIONS.md).

cpanet's own ``/c/{offer}?wm=&l=&sub1..sub10=&source=&url=``, TUNE ``/aff_c?offer_id=&aff_id=&url_id=
&aff_sub..aff_sub5=&source=``, Affise ``/click?pid=&offer_id=&l=&sub1..sub8=``, CAKE ``/?a=&c=&s1..s5=``
(c is a landing id, which names its offer) and a smartlink ``/s/{id}?wm=``. Everflow-style ``source_id`` and
``creative_id`` are read in every form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

_OWN = re.compile(r"^/c/(\d{1,18})/?$")
_SMARTLINK = re.compile(r"^/s/(\d{1,18})/?$")
MAX_SUB = 255


@dataclass(frozen=True, slots=True)
class ParsedLink:
    dialect: str
    target_id: int | None  # offer id, smartlink id, or None for CAKE (resolved from the landing)
    webmaster_id: int | None
    landing_id: int | None
    subs: tuple[str, ...]
    source: str
    creative_id: str
    deep_link: str | None
    smartlink: bool = False


def _int(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def _subs(params: dict[str, str], names: list[str]) -> tuple[str, ...]:
    values = [params.get(name, "")[:MAX_SUB] for name in names]
    return tuple(values + [""] * (10 - len(values)))


def parse(path: str, query: bytes) -> ParsedLink | None:
    """The link a request follows, or None when the path is not a click route."""
    own = _OWN.match(path)
    smart = _SMARTLINK.match(path)
    if not (own or smart or path in ("/aff_c", "/click") or path == "/"):
        return None
    params = dict(parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True))
    source = params.get("source") or params.get("source_id") or ""
    creative = params.get("creative_id", "")
    deep = params.get("url") or None
    if own or smart:
        match = own or smart
        assert match is not None
        return ParsedLink(
            dialect="smartlink" if smart else "cpanet",
            target_id=int(match.group(1)),
            webmaster_id=_int(params.get("wm")),
            landing_id=_int(params.get("l")),
            subs=_subs(params, [f"sub{i}" for i in range(1, 11)]),
            source=source[:64],
            creative_id=creative[:64],
            deep_link=deep,
            smartlink=bool(smart),
        )
    if path == "/aff_c":
        return ParsedLink(
            "tune",
            _int(params.get("offer_id")),
            _int(params.get("aff_id")),
            _int(params.get("url_id")),
            _subs(params, ["aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5"]),
            source[:64],
            creative[:64],
            deep,
        )
    if path == "/click":
        return ParsedLink(
            "affise",
            _int(params.get("offer_id")),
            _int(params.get("pid")),
            _int(params.get("l")),
            _subs(params, [f"sub{i}" for i in range(1, 9)]),
            source[:64],
            creative[:64],
            deep,
        )
    if "a" not in params:
        return None  # the bare root is not a click
    landing = _int(params.get("c"))
    return ParsedLink(
        "cake",
        None,
        _int(params.get("a")),
        landing,
        _subs(params, [f"s{i}" for i in range(1, 6)]),
        source[:64],
        (creative or params.get("c", ""))[:64],
        deep,
    )
