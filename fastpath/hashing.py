"""64-bit key mixing shared by both engines so that their bounded tables evict identically."""

from __future__ import annotations

import os

MASK64 = 0xFFFFFFFFFFFFFFFF
GOLDEN = 0x9E3779B97F4A7C15
# Salt of text_hash, drawn once per process (as str hashes are): the table slots of a sub id cannot be chosen
# from outside. Both engines of one process read this value, so they still place every key alike.
TEXT_SALT = int.from_bytes(os.urandom(8), "little")

TAG_DUPLICATE = 0x6475706C
TAG_IP = 0x69707631
TAG_SUB = 0x73756231


def mix64(x: int) -> int:
    """The splitmix64 finaliser: a bijection on 64-bit integers with good avalanche."""
    x &= MASK64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def fold(h: int, v: int) -> int:
    """Fold one more 64-bit word into a running key: xor, an odd multiply and an xor-shift (for a given ``v``
    a bijection of ``h``). Cheaper than a mix64 per word; ``finish`` mixes the result once."""
    h = ((h ^ (v & MASK64)) * GOLDEN) & MASK64
    return h ^ (h >> 32)


def nonzero(key: int) -> int:
    """Slot key 0 marks an empty slot, so real keys are never 0."""
    return key if key else 1


def finish(h: int) -> int:
    """The table key of a folded running key: mix64, so that its low bits (the bucket) depend on every word,
    and never 0."""
    return nonzero(mix64(h))


def text_hash(text: str) -> int:
    """A salted 64-bit hash of ``text``'s UTF-8 bytes (lone surrogates passed through): the salt and the byte
    length, then 8 bytes at a time as little-endian words, the last one zero-padded, through ``fold``, then
    mix64. The compiled engine computes the same for ASCII text without leaving C."""
    data = text.encode("utf-8", "surrogatepass")
    h = fold(TEXT_SALT, len(data))
    for i in range(0, len(data), 8):
        h = fold(h, int.from_bytes(data[i : i + 8], "little"))
    return mix64(h)


def splitmix_uniform(seed: int, counter: int) -> float:
    """Deterministic uniform draw in [0, 1) from (seed, counter): 53 high bits of splitmix64."""
    x = mix64((seed + (counter + 1) * 0x9E3779B97F4A7C15) & MASK64)
    return (x >> 11) * (1.0 / 9007199254740992.0)
