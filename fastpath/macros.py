"""Landing and trafficback URL templates, precompiled into segments of literals and macro ids."""

from __future__ import annotations

import re
from urllib.parse import quote

M_CLICK_ID = 0
# 1..10 are sub1..sub10
M_OFFER_ID = 11
M_WEBMASTER_ID = 12
M_COUNTRY = 13
M_DEVICE = 14
M_OS = 15
M_IP = 16
M_LANDING_ID = 17
M_SOURCE = 18
M_CREATIVE_ID = 19
M_DEEP_LINK = 20
MACRO_COUNT = 21

MACROS: dict[str, int] = {
    "click_id": M_CLICK_ID,
    "transaction_id": M_CLICK_ID,
    **{f"sub{i}": i for i in range(1, 11)},
    "offer_id": M_OFFER_ID,
    "webmaster_id": M_WEBMASTER_ID,
    "aff_id": M_WEBMASTER_ID,
    "geo": M_COUNTRY,
    "country": M_COUNTRY,
    "device": M_DEVICE,
    "os": M_OS,
    "ip": M_IP,
    "landing_id": M_LANDING_ID,
    "source": M_SOURCE,
    "creative_id": M_CREATIVE_ID,
    "deep_link": M_DEEP_LINK,
}

_MACRO = re.compile(r"\{([A-Za-z0-9_]+)\}")

Segments = tuple[str | int, ...]


def compile_template(template: str) -> Segments:
    """Split a template into literal strings and macro ids; unknown macros compile to nothing (left empty)."""
    segments: list[str | int] = []
    literal: list[str] = []
    position = 0
    for match in _MACRO.finditer(template):
        literal.append(template[position : match.start()])
        position = match.end()
        macro = MACROS.get(match.group(1).lower())
        if macro is None:
            continue
        if literal and "".join(literal):
            segments.append("".join(literal))
        literal = []
        segments.append(macro)
    literal.append(template[position:])
    if "".join(literal):
        segments.append("".join(literal))
    return tuple(segments)


def encode_value(value: str) -> str:
    """Percent-encode everything outside the RFC 3986 unreserved set, so a value stays in its position."""
    return quote(value, safe="")
