"""piccolo returns JSON columns as text on both engines; these keep the decoding in one place."""

from __future__ import annotations

import json
from typing import Any

import msgspec

_EXACT = msgspec.json.Encoder(decimal_format="number", order="sorted")


def load(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def dump_exact(value: Any) -> str:
    """JSON with Decimals as exact numbers (``40.10``, not ``"40.10"``); read back with rules.parse_rule."""
    return _EXACT.encode(value).decode()
