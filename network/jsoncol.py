"""piccolo returns JSON columns as text on both engines; these keep the decoding in one place."""

from __future__ import annotations

import json
from typing import Any


def load(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
