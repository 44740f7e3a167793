"""Sizing of the bounded fraud tables, shared by both engines (the layout is the same in both)."""

from __future__ import annotations

WAYS = 4  # a key may live in any of the 4 slots of its bucket (set-associative)
SUB_BUCKETS = 6  # a velocity window is counted in 6 sub-buckets of window / 6 seconds
DUPLICATE_SLOT_BYTES = 16  # key + first-seen time
VELOCITY_SLOT_BYTES = 16 + 4 * SUB_BUCKETS  # key + last bucket + counters


def slot_count(requested: int) -> int:
    """Round up to a power of two, at least one bucket."""
    n = WAYS
    while n < requested:
        n <<= 1
    return n


def state_bytes(duplicate_slots: int, ip_slots: int, sub_slots: int) -> int:
    return (
        slot_count(duplicate_slots) * DUPLICATE_SLOT_BYTES
        + (slot_count(ip_slots) + slot_count(sub_slots)) * VELOCITY_SLOT_BYTES
    )
