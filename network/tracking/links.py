"""Reading tracking links in every dialect users already have (docs/api.md, CONVENTIONS.md).

cpanet's own ``/c/{offer}?wm=&l=&sub1..sub10=&source=&url=``, TUNE ``/aff_c?offer_id=&aff_id=&url_id=
&aff_sub..aff_sub5=&source=``, Affise ``/click?pid=&offer_id=&l=&sub1..sub8=``, CAKE ``/?a=&c=&s1..s5=``
(c is a landing id, which names its offer) and a smartlink ``/s/{id}?wm=``. Everflow-style ``source_id`` and
``creative_id`` are read in every form.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import msgspec

_OWN = re.compile(r"^/c/(\d{1,18})/?$")
_SMARTLINK = re.compile(r"^/s/(\d{1,18})/?$")
MAX_SUB = 255
_OWN_SUBS = tuple(f"sub{i}" for i in range(1, 11))
_TUNE_SUBS = ("aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5")
_AFFISE_SUBS = tuple(f"sub{i}" for i in range(1, 9))
_CAKE_SUBS = tuple(f"s{i}" for i in range(1, 6))


class ParsedLink(msgspec.Struct, frozen=True):
    """A msgspec Struct rather than a frozen dataclass: built once per click, and a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``."""

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


def _subs(params: dict[str, str], names: tuple[str, ...]) -> tuple[str, ...]:
    get = params.get
    values = [get(name, "")[:MAX_SUB] for name in names]
    return tuple(values + [""] * (10 - len(values)))


def query_params(query: bytes) -> dict[str, str]:
    """``dict(parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True))``, exactly (the last of
    repeated names wins), without parse_qsl's per-field work for the common field that needs no decoding."""
    params: dict[str, str] = {}
    for field in query.decode("utf-8", "replace").split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "%" in field or "+" in field:
            name, value = unquote(name.replace("+", " ")), unquote(value.replace("+", " "))
        params[name] = value
    return params


def parse(path: str, query: bytes) -> ParsedLink | None:
    """The link a request follows, or None when the path is not a click route."""
    own = smart = None
    if path.startswith("/c/"):
        own = _OWN.match(path)
    elif path.startswith("/s/"):
        smart = _SMARTLINK.match(path)
    if not (own or smart or path in ("/aff_c", "/click") or path == "/"):
        return None
    params = query_params(query)
    get = params.get
    source = get("source") or get("source_id") or ""
    creative = get("creative_id", "")
    deep = get("url") or None
    if own or smart:
        match = own or smart
        assert match is not None
        return ParsedLink(
            "smartlink" if smart else "cpanet",
            int(match.group(1)),
            _int(get("wm")),
            _int(get("l")),
            _subs(params, _OWN_SUBS),
            source[:64],
            creative[:64],
            deep,
            bool(smart),
        )
    if path == "/aff_c":
        return ParsedLink(
            "tune",
            _int(get("offer_id")),
            _int(get("aff_id")),
            _int(get("url_id")),
            _subs(params, _TUNE_SUBS),
            source[:64],
            creative[:64],
            deep,
        )
    if path == "/click":
        return ParsedLink(
            "affise",
            _int(get("offer_id")),
            _int(get("pid")),
            _int(get("l")),
            _subs(params, _AFFISE_SUBS),
            source[:64],
            creative[:64],
            deep,
        )
    if "a" not in params:
        return None  # the bare root is not a click
    landing = _int(get("c"))
    return ParsedLink(
        "cake",
        None,
        _int(get("a")),
        landing,
        _subs(params, _CAKE_SUBS),
        source[:64],
        (creative or get("c", ""))[:64],
        deep,
    )
