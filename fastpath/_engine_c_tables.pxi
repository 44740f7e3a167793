# CIDR interval tables and the bounded fraud tables (included by _engine_c.pyx).

# -- interval tables ----------------------------------------------------------------------------------------

cdef class IntervalTable:
    """Sorted disjoint closed intervals of 128-bit addresses as (hi, lo) word pairs; binary search."""

    cdef uint64_t* start_hi
    cdef uint64_t* start_lo
    cdef uint64_t* end_hi
    cdef uint64_t* end_lo
    cdef Py_ssize_t n
    cdef Py_ssize_t* v4_first  # per /16 of IPv4: index of the first interval starting at or after it

    def __cinit__(self, interval_set):
        cdef Py_ssize_t i
        starts, ends = interval_set.starts, interval_set.ends
        self.n = len(starts)
        cdef Py_ssize_t size = (self.n if self.n else 1) * sizeof(uint64_t)
        self.start_hi = <uint64_t*>PyMem_Malloc(size)
        self.start_lo = <uint64_t*>PyMem_Malloc(size)
        self.end_hi = <uint64_t*>PyMem_Malloc(size)
        self.end_lo = <uint64_t*>PyMem_Malloc(size)
        if not (self.start_hi and self.start_lo and self.end_hi and self.end_lo):
            raise MemoryError()
        for i in range(self.n):
            self.start_hi[i] = <uint64_t>(starts[i] >> 64)
            self.start_lo[i] = <uint64_t>(starts[i] & 0xFFFFFFFFFFFFFFFF)
            self.end_hi[i] = <uint64_t>(ends[i] >> 64)
            self.end_lo[i] = <uint64_t>(ends[i] & 0xFFFFFFFFFFFFFFFF)
        if self.n > 32:
            self._index_v4()

    cdef int _index_v4(self) except -1:
        """Bound every IPv4 search to the intervals that start inside the address's /16."""
        cdef Py_ssize_t p, j = 0
        cdef uint64_t bound
        self.v4_first = <Py_ssize_t*>PyMem_Malloc(65537 * sizeof(Py_ssize_t))
        if self.v4_first == NULL:
            raise MemoryError()
        for p in range(65537):
            bound = 0xFFFF00000000ULL + (<uint64_t>p << 16)
            while j < self.n and self.start_hi[j] == 0 and self.start_lo[j] < bound:
                j += 1
            self.v4_first[p] = j
        return 0

    def __dealloc__(self):
        PyMem_Free(self.v4_first)
        PyMem_Free(self.start_hi)
        PyMem_Free(self.start_lo)
        PyMem_Free(self.end_hi)
        PyMem_Free(self.end_lo)

    cdef bint contains(self, uint64_t hi, uint64_t lo) noexcept:
        cdef Py_ssize_t a = 0, b = self.n, mid, prefix
        if self.v4_first != NULL and hi == 0 and (lo >> 32) == 0xFFFF:
            prefix = <Py_ssize_t>((lo >> 16) & 0xFFFF)
            a = self.v4_first[prefix]
            b = self.v4_first[prefix + 1]
        while a < b:
            mid = (a + b) >> 1
            if self.start_hi[mid] < hi or (self.start_hi[mid] == hi and self.start_lo[mid] <= lo):
                a = mid + 1
            else:
                b = mid
        a -= 1
        if a < 0:
            return False
        return hi < self.end_hi[a] or (hi == self.end_hi[a] and lo <= self.end_lo[a])


# -- bounded fraud tables -----------------------------------------------------------------------------------

cdef Py_ssize_t slot_count(Py_ssize_t requested) noexcept:
    cdef Py_ssize_t n = WAYS
    while n < requested:
        n <<= 1
    return n


cdef struct DupSlot:
    uint64_t key
    double first


cdef class DuplicateTable:
    """key -> time of the first click of the current window; a key and its time share a cache line."""

    cdef DupSlot* slot_data
    cdef readonly Py_ssize_t slots
    cdef readonly Py_ssize_t occupied
    cdef uint64_t mask

    def __cinit__(self, Py_ssize_t slots):
        self.slots = slot_count(slots)
        self.mask = <uint64_t>(self.slots // WAYS - 1)
        self.slot_data = <DupSlot*>PyMem_Malloc(self.slots * sizeof(DupSlot))
        if self.slot_data == NULL:
            raise MemoryError()
        memset(self.slot_data, 0, self.slots * sizeof(DupSlot))
        self.occupied = 0

    def __dealloc__(self):
        PyMem_Free(self.slot_data)

    cdef double hit(self, uint64_t key, double ts, double window) noexcept:
        cdef DupSlot* bucket = &self.slot_data[<Py_ssize_t>(key & self.mask) * WAYS]
        cdef int way, victim = -1
        cdef double first
        for way in range(WAYS):
            if bucket[way].key == key:
                first = bucket[way].first
                if ts - first < window:
                    return ts - first if ts - first > 0.0 else 0.0
                bucket[way].first = ts
                return -1.0
        for way in range(WAYS):
            if bucket[way].key == 0:
                victim = way
                self.occupied += 1
                break
        if victim < 0:
            victim = 0
            for way in range(1, WAYS):
                if bucket[way].first < bucket[victim].first:
                    victim = way
        bucket[victim].key = key
        bucket[victim].first = ts
        return -1.0


cdef class VelocityTable:
    cdef uint64_t* keys
    cdef int64_t* lasts
    cdef uint32_t* counts
    cdef readonly Py_ssize_t slots
    cdef readonly Py_ssize_t occupied
    cdef uint64_t mask

    def __cinit__(self, Py_ssize_t slots):
        self.slots = slot_count(slots)
        self.mask = <uint64_t>(self.slots // WAYS - 1)
        self.keys = <uint64_t*>PyMem_Malloc(self.slots * sizeof(uint64_t))
        self.lasts = <int64_t*>PyMem_Malloc(self.slots * sizeof(int64_t))
        self.counts = <uint32_t*>PyMem_Malloc(self.slots * SUB_BUCKETS * sizeof(uint32_t))
        if self.keys == NULL or self.lasts == NULL or self.counts == NULL:
            raise MemoryError()
        memset(self.keys, 0, self.slots * sizeof(uint64_t))
        memset(self.lasts, 0, self.slots * sizeof(int64_t))
        memset(self.counts, 0, self.slots * SUB_BUCKETS * sizeof(uint32_t))
        self.occupied = 0

    def __dealloc__(self):
        PyMem_Free(self.keys)
        PyMem_Free(self.lasts)
        PyMem_Free(self.counts)

    cdef long hit(self, uint64_t key, double ts, double window) noexcept:
        cdef int64_t bucket = <int64_t>floor(ts * SUB_BUCKETS / window)
        cdef Py_ssize_t base = <Py_ssize_t>(key & self.mask) * WAYS, slot, found = -1, j
        cdef int64_t last, b
        cdef uint32_t* ring
        cdef long total = 0
        for slot in range(base, base + WAYS):
            if self.keys[slot] == key:
                found = slot
                break
        if found < 0:
            for slot in range(base, base + WAYS):
                if self.keys[slot] == 0:
                    found = slot
                    self.occupied += 1
                    break
            if found < 0:
                found = base
                for slot in range(base + 1, base + WAYS):
                    if self.lasts[slot] < self.lasts[found]:
                        found = slot
            self.keys[found] = key
            self.lasts[found] = bucket
            memset(&self.counts[found * SUB_BUCKETS], 0, SUB_BUCKETS * sizeof(uint32_t))
        ring = &self.counts[found * SUB_BUCKETS]
        last = self.lasts[found]
        if bucket > last:
            if bucket - last >= SUB_BUCKETS:
                memset(ring, 0, SUB_BUCKETS * sizeof(uint32_t))
            else:
                b = last + 1
                while b <= bucket:
                    ring[floormod(b, SUB_BUCKETS)] = 0
                    b += 1
            self.lasts[found] = bucket
            last = bucket
        if bucket > last - SUB_BUCKETS:
            ring[floormod(bucket, SUB_BUCKETS)] += 1
        for j in range(SUB_BUCKETS):
            total += ring[j]
        return total
