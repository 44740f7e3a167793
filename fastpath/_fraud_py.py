"""Pure-Python bounded fraud state: set-associative tables with oldest-first eviction (twin of _engine_c)."""

from __future__ import annotations

import math
from array import array

from fastpath.tables import SUB_BUCKETS, WAYS, slot_count


class DuplicateTable:
    """key -> time of the first click of the current window; fixed size."""

    __slots__ = ("_buckets_mask", "_firsts", "_keys", "occupied", "slots")

    def __init__(self, slots: int) -> None:
        self.slots = slot_count(slots)
        self._buckets_mask = self.slots // WAYS - 1
        self._keys = array("Q", bytes(8 * self.slots))
        self._firsts = array("d", bytes(8 * self.slots))
        self.occupied = 0

    def hit(self, key: int, ts: float, window: float) -> float:
        """Age of the duplicate when ``key`` was first seen less than ``window`` ago, else -1.0 (and the
        window restarts at ``ts``)."""
        keys, firsts = self._keys, self._firsts
        base = (key & self._buckets_mask) * WAYS
        for slot in range(base, base + WAYS):
            if keys[slot] == key:
                first = firsts[slot]
                if ts - first < window:
                    return max(0.0, ts - first)
                firsts[slot] = ts
                return -1.0
        victim = -1
        for slot in range(base, base + WAYS):
            if keys[slot] == 0:
                victim = slot
                self.occupied += 1
                break
        if victim < 0:
            victim = base
            for slot in range(base + 1, base + WAYS):
                if firsts[slot] < firsts[victim]:
                    victim = slot
        keys[victim] = key
        firsts[victim] = ts
        return -1.0


class VelocityTable:
    """key -> clicks per sub-bucket over the last ``SUB_BUCKETS`` sub-buckets; fixed size."""

    __slots__ = ("_buckets_mask", "_counts", "_keys", "_lasts", "occupied", "slots")

    def __init__(self, slots: int) -> None:
        self.slots = slot_count(slots)
        self._buckets_mask = self.slots // WAYS - 1
        self._keys = array("Q", bytes(8 * self.slots))
        self._lasts = array("q", bytes(8 * self.slots))
        self._counts = array("I", bytes(4 * SUB_BUCKETS * self.slots))
        self.occupied = 0

    def hit(self, key: int, ts: float, window: float) -> int:
        """Count this click and return the clicks of ``key`` in its window, this one included."""
        keys, lasts, counts = self._keys, self._lasts, self._counts
        bucket = math.floor(ts * SUB_BUCKETS / window)
        base = (key & self._buckets_mask) * WAYS
        found = -1
        for slot in range(base, base + WAYS):
            if keys[slot] == key:
                found = slot
                break
        if found < 0:
            for slot in range(base, base + WAYS):
                if keys[slot] == 0:
                    found = slot
                    self.occupied += 1
                    break
            if found < 0:
                found = base
                for slot in range(base + 1, base + WAYS):
                    if lasts[slot] < lasts[found]:
                        found = slot
            keys[found] = key
            lasts[found] = bucket
            for j in range(SUB_BUCKETS):
                counts[found * SUB_BUCKETS + j] = 0
        ring = found * SUB_BUCKETS
        last = lasts[found]
        if bucket > last:
            if bucket - last >= SUB_BUCKETS:
                for j in range(SUB_BUCKETS):
                    counts[ring + j] = 0
            else:
                for b in range(last + 1, bucket + 1):
                    counts[ring + b % SUB_BUCKETS] = 0
            lasts[found] = bucket
            last = bucket
        if bucket > last - SUB_BUCKETS:
            counts[ring + bucket % SUB_BUCKETS] += 1
        return sum(counts[ring : ring + SUB_BUCKETS])
