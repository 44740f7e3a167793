"""Which paths are click paths: dispatched to the click handler before litestar (network/http/front.py)."""

from __future__ import annotations

CLICK_PATHS = frozenset({"/", "/aff_c", "/click"})
CLICK_PREFIXES = ("/c/", "/s/")


def is_click_path(path: str) -> bool:
    return path in CLICK_PATHS or path.startswith(CLICK_PREFIXES)
