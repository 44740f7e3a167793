"""Click ids: compact, unique and time-sortable.

19 characters of base62 over 48 bits of milliseconds and 64 random bits. The alphabet is in ASCII order,
so ids sort by creation time as plain strings; 64 random bits make a collision within one millisecond
negligible (and storage de-duplicates on click_id anyway).
"""

from __future__ import annotations

import os
import time

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
LENGTH = 19
_BITS_RANDOM = 64


def new_click_id(now: float | None = None) -> str:
    ms = int((time.time() if now is None else now) * 1000) & ((1 << 48) - 1)
    value = (ms << _BITS_RANDOM) | int.from_bytes(os.urandom(8), "big")
    out = []
    for _ in range(LENGTH):
        value, digit = divmod(value, 62)
        out.append(ALPHABET[digit])
    return "".join(reversed(out))


def click_id_time(click_id: str) -> float:
    """The creation time (epoch seconds, millisecond precision) encoded in a click id."""
    value = 0
    for char in click_id:
        value = value * 62 + ALPHABET.index(char)
    return (value >> _BITS_RANDOM) / 1000.0
