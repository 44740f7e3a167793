"""Outgoing postback URL templates: curly-brace macros (``{click_id}``, ``{payout}`` ...), and CAKE's
``#token#`` spelling accepted on import. Values are percent-encoded into their own position only, so a
sub id can never add a parameter or change the host."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

MACROS = frozenset(
    {
        "click_id",
        "transaction_id",
        *(f"sub{i}" for i in range(1, 11)),
        "payout",
        "sale_amount",
        "currency",
        "status",
        "goal",
        "offer_id",
        "order_id",
        "geo",
        "ip",
        "conversion_id",
        "event_id",
        "reason",
    }
)
_CURLY = re.compile(r"\{([a-z0-9_]+)\}")
_CAKE = re.compile(r"#([a-z0-9_]+)#")


def normalise(template: str) -> str:
    """CAKE's ``#sub1#`` becomes ``{sub1}`` for the macros we know; anything else stays literal."""
    return _CAKE.sub(lambda m: "{" + m.group(1) + "}" if m.group(1) in MACROS else m.group(0), template)


def unknown(template: str) -> list[str]:
    return sorted({m for m in _CURLY.findall(template) if m not in MACROS})


def render(template: str, values: Mapping[str, str]) -> str:
    return _CURLY.sub(
        lambda m: quote(values.get(m.group(1), ""), safe="") if m.group(1) in MACROS else m.group(0), template
    )
