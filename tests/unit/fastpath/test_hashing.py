"""Table-key hashing: the compiled text hash equals the twin's, and both spread sub ids over the buckets."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import fastpath
from fastpath.hashing import MASK64, TEXT_SALT, fold, mix64, text_hash

SAMPLES = [
    "",
    "a",
    "campaign",  # exactly one word
    "campaign1",  # one word and one byte
    "x" * 16,
    "placement_12345678",
    "".join(chr(c) for c in range(128)),  # every ASCII byte, NUL included
    "caf\u00e9",  # Latin-1: not ASCII, goes through UTF-8
    "\u043a\u0430\u043c\u043f\u0430\u043d\u0438\u044f",
    "\U0001f600 sub",
    "lone \ud800 surrogate",
]


def _hasher(impl: str) -> Callable[[str], int]:
    if impl == "c":
        assert fastpath.engine_c is not None
        compiled: Callable[[str], int] = fastpath.engine_c.text_hash_compiled
        return compiled
    return text_hash


def _by_definition(text: str) -> int:
    """Salt and byte length, then little-endian 8-byte words (the last zero-padded), then mix64."""
    data = text.encode("utf-8", "surrogatepass")
    h = fold(TEXT_SALT, len(data))
    for i in range(0, len(data), 8):
        h = fold(h, int.from_bytes(data[i : i + 8], "little"))
    return mix64(h)


def test_text_hash_follows_its_definition(impl: str) -> None:
    hasher = _hasher(impl)
    for text in SAMPLES:
        assert hasher(text) == _by_definition(text) == text_hash(text), text
        assert 0 <= hasher(text) <= MASK64


def test_text_hash_equals_the_twins_on_random_text(impl: str) -> None:
    """Random ASCII and non-ASCII text: the engine's hash is the twin's (and the definition's)."""
    hasher = _hasher(impl)
    rng = random.Random(5)
    for _ in range(3000):
        n = rng.randrange(0, 40)
        alphabet = "abcXYZ019_-." if rng.random() < 0.8 else "ab\u00e9\u4e2d\U0001f600"
        text = "".join(rng.choice(alphabet) for _ in range(n))
        assert hasher(text) == text_hash(text) == _by_definition(text), text


def test_sub_ids_spread_over_buckets_without_collisions(impl: str) -> None:
    """Sequential placement names (what webmasters send) neither collide in 64 bits nor pile into buckets."""
    hasher = _hasher(impl)
    keys = [hasher(f"placement_{i}") for i in range(20_000)]
    assert len(set(keys)) == len(keys)
    buckets = Counter(k & 255 for k in keys)  # the low bits pick a table's bucket
    assert len(buckets) == 256
    assert max(buckets.values()) < 2 * len(keys) / 256
