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


# Two base62 digits per step: 3,844 pairs, so 19 digits take ten table look-ups instead of 19 divmods of a
# 112-bit number. The id is one leading digit and two 9-digit halves (62**9 < 2**54, small ints).
_PAIRS = tuple(a + b for a in ALPHABET for b in ALPHABET)
_HALF = 62**9


def _nine(value: int) -> str:
    """``value`` (< 62**9) as nine base62 digits."""
    pairs = _PAIRS
    a, b = divmod(value, 3844)
    c, b2 = divmod(a, 3844)
    d, c2 = divmod(c, 3844)
    e, d2 = divmod(d, 3844)
    return ALPHABET[e] + pairs[d2] + pairs[c2] + pairs[b2] + pairs[b]


def new_click_id(now: float | None = None) -> str:
    ms = int((time.time() if now is None else now) * 1000) & ((1 << 48) - 1)
    value = (ms << _BITS_RANDOM) | int.from_bytes(os.urandom(8), "big")
    high, low = divmod(value, _HALF)
    top, middle = divmod(high, _HALF)  # top < 62: 2**112 < 62**19
    return ALPHABET[top] + _nine(middle) + _nine(low)


def click_id_time(click_id: str) -> float:
    """The creation time (epoch seconds, millisecond precision) encoded in a click id."""
    value = 0
    for char in click_id:
        value = value * 62 + ALPHABET.index(char)
    return (value >> _BITS_RANDOM) / 1000.0
