"""64-bit key mixing shared by both engines so that their bounded tables evict identically."""

from __future__ import annotations

MASK64 = 0xFFFFFFFFFFFFFFFF

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


def combine(h: int, v: int) -> int:
    """Fold one more 64-bit word into a running key."""
    return mix64(h ^ (v & MASK64))


def nonzero(key: int) -> int:
    """Slot key 0 marks an empty slot, so real keys are never 0."""
    return key if key else 1


def splitmix_uniform(seed: int, counter: int) -> float:
    """Deterministic uniform draw in [0, 1) from (seed, counter): 53 high bits of splitmix64."""
    x = mix64((seed + (counter + 1) * 0x9E3779B97F4A7C15) & MASK64)
    return (x >> 11) * (1.0 / 9007199254740992.0)
