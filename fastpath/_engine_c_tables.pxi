# CIDR interval tables and the bounded fraud tables (included by _engine_c.pyx).

# -- interval tables ----------------------------------------------------------------------------------------

cdef struct Interval:
    uint64_t start_hi
    uint64_t start_lo
    uint64_t end_hi
    uint64_t end_lo


cdef void* aligned64(void* raw) noexcept:
    """The first 64-byte boundary in a block allocated 64 bytes larger (so that a bucket is one cache line)."""
    return <void*>((<size_t>raw + 63) & ~(<size_t>63))


cdef class IntervalTable:
    """Sorted disjoint closed intervals of 128-bit addresses as (hi, lo) word pairs, one 32-byte row each (an
    interval and its neighbour share a cache line); binary search."""

    cdef Interval* rows
    cdef Py_ssize_t n
    cdef Py_ssize_t* v4_first  # per /16 of IPv4: index of the first interval starting at or after it

    def __cinit__(self, interval_set):
        cdef Py_ssize_t i
        starts, ends = interval_set.starts, interval_set.ends
        self.n = len(starts)
        self.rows = <Interval*>PyMem_Malloc((self.n if self.n else 1) * sizeof(Interval))
        if self.rows == NULL:
            raise MemoryError()
        for i in range(self.n):
            self.rows[i].start_hi = <uint64_t>(starts[i] >> 64)
            self.rows[i].start_lo = <uint64_t>(starts[i] & 0xFFFFFFFFFFFFFFFF)
            self.rows[i].end_hi = <uint64_t>(ends[i] >> 64)
            self.rows[i].end_lo = <uint64_t>(ends[i] & 0xFFFFFFFFFFFFFFFF)
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
            while j < self.n and self.rows[j].start_hi == 0 and self.rows[j].start_lo < bound:
                j += 1
            self.v4_first[p] = j
        return 0

    def __dealloc__(self):
        PyMem_Free(self.v4_first)
        PyMem_Free(self.rows)

    cdef void prefetch_index(self, uint64_t hi, uint64_t lo) noexcept:
        if self.v4_first != NULL and hi == 0 and (lo >> 32) == 0xFFFF:
            FP_PREFETCH_R(&self.v4_first[<Py_ssize_t>((lo >> 16) & 0xFFFF)])

    cdef void prefetch_rows(self, uint64_t hi, uint64_t lo) noexcept:
        """The rows an IPv4 search reads (call after prefetch_index had time to land)."""
        cdef Py_ssize_t a
        if self.v4_first != NULL and hi == 0 and (lo >> 32) == 0xFFFF:
            a = self.v4_first[<Py_ssize_t>((lo >> 16) & 0xFFFF)]
            if a > 0:
                FP_PREFETCH_R(&self.rows[a - 1])
            if a < self.n:
                FP_PREFETCH_R(&self.rows[a])

    cdef bint contains(self, uint64_t hi, uint64_t lo) noexcept:
        cdef Py_ssize_t a = 0, b = self.n, mid, prefix
        cdef Interval* row
        if self.v4_first != NULL and hi == 0 and (lo >> 32) == 0xFFFF:
            prefix = <Py_ssize_t>((lo >> 16) & 0xFFFF)
            a = self.v4_first[prefix]
            b = self.v4_first[prefix + 1]
        while a < b:
            mid = (a + b) >> 1
            row = &self.rows[mid]
            if row.start_hi < hi or (row.start_hi == hi and row.start_lo <= lo):
                a = mid + 1
            else:
                b = mid
        a -= 1
        if a < 0:
            return False
        row = &self.rows[a]
        return hi < row.end_hi or (hi == row.end_hi and lo <= row.end_lo)


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

    cdef void* raw
    cdef DupSlot* slot_data  # 64-byte aligned: a bucket of 4 slots is one cache line
    cdef readonly Py_ssize_t slots
    cdef readonly Py_ssize_t occupied
    cdef uint64_t mask

    def __cinit__(self, Py_ssize_t slots):
        self.slots = slot_count(slots)
        self.mask = <uint64_t>(self.slots // WAYS - 1)
        self.raw = PyMem_Malloc(self.slots * sizeof(DupSlot) + 64)
        if self.raw == NULL:
            raise MemoryError()
        self.slot_data = <DupSlot*>aligned64(self.raw)
        memset(self.slot_data, 0, self.slots * sizeof(DupSlot))
        self.occupied = 0

    def __dealloc__(self):
        PyMem_Free(self.raw)

    cdef void prefetch(self, uint64_t key) noexcept:
        cdef DupSlot* bucket = &self.slot_data[<Py_ssize_t>(key & self.mask) * WAYS]
        FP_PREFETCH(bucket)

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


cdef struct VelocityHead:
    uint64_t keys[WAYS]
    int64_t lasts[WAYS]  # most recent sub-bucket of each slot


cdef class VelocityTable:
    """key -> counts of the last SUB_BUCKETS sub-buckets. A bucket's keys and last sub-buckets are one 64-byte
    line; its counters (4 x 6 x 4 bytes) another one or two."""

    cdef void* raw_heads
    cdef void* raw_counts
    cdef VelocityHead* heads
    cdef uint32_t* counts
    cdef readonly Py_ssize_t slots
    cdef readonly Py_ssize_t occupied
    cdef uint64_t mask

    def __cinit__(self, Py_ssize_t slots):
        self.slots = slot_count(slots)
        self.mask = <uint64_t>(self.slots // WAYS - 1)
        self.raw_heads = PyMem_Malloc((self.slots // WAYS) * sizeof(VelocityHead) + 64)
        self.raw_counts = PyMem_Malloc(self.slots * SUB_BUCKETS * sizeof(uint32_t) + 64)
        if self.raw_heads == NULL or self.raw_counts == NULL:
            raise MemoryError()
        self.heads = <VelocityHead*>aligned64(self.raw_heads)
        self.counts = <uint32_t*>aligned64(self.raw_counts)
        memset(self.heads, 0, (self.slots // WAYS) * sizeof(VelocityHead))
        memset(self.counts, 0, self.slots * SUB_BUCKETS * sizeof(uint32_t))
        self.occupied = 0

    def __dealloc__(self):
        PyMem_Free(self.raw_heads)
        PyMem_Free(self.raw_counts)

    cdef void prefetch(self, uint64_t key) noexcept:
        cdef Py_ssize_t bucket = <Py_ssize_t>(key & self.mask)
        cdef uint32_t* ring = &self.counts[bucket * WAYS * SUB_BUCKETS]
        FP_PREFETCH(&self.heads[bucket])
        FP_PREFETCH(ring)
        FP_PREFETCH(&ring[WAYS * SUB_BUCKETS - 1])

    cdef long hit(self, uint64_t key, double ts, double window) noexcept:
        cdef int64_t bucket = <int64_t>floor(ts * SUB_BUCKETS / window)
        cdef Py_ssize_t index = <Py_ssize_t>(key & self.mask)
        cdef VelocityHead* head = &self.heads[index]
        cdef int way, found = -1, j
        cdef int64_t last, b
        cdef uint32_t* ring
        cdef long total = 0
        for way in range(WAYS):
            if head.keys[way] == key:
                found = way
                break
        if found < 0:
            for way in range(WAYS):
                if head.keys[way] == 0:
                    found = way
                    self.occupied += 1
                    break
            if found < 0:
                found = 0
                for way in range(1, WAYS):
                    if head.lasts[way] < head.lasts[found]:
                        found = way
            head.keys[found] = key
            head.lasts[found] = bucket
            memset(&self.counts[(index * WAYS + found) * SUB_BUCKETS], 0, SUB_BUCKETS * sizeof(uint32_t))
        ring = &self.counts[(index * WAYS + found) * SUB_BUCKETS]
        last = head.lasts[found]
        if bucket > last:
            if bucket - last >= SUB_BUCKETS:
                memset(ring, 0, SUB_BUCKETS * sizeof(uint32_t))
            else:
                b = last + 1
                while b <= bucket:
                    ring[floormod(b, SUB_BUCKETS)] = 0
                    b += 1
            head.lasts[found] = bucket
            last = bucket
        if bucket > last - SUB_BUCKETS:
            ring[floormod(bucket, SUB_BUCKETS)] += 1
        for j in range(SUB_BUCKETS):
            total += ring[j]
        return total


# -- integer set --------------------------------------------------------------------------------------------

cdef inline uint64_t fib_slot(uint64_t key, int shift) noexcept:
    """Fibonacci hashing: the top bits of key * 2^64/phi pick the first slot (one multiply; these sets are
    C-only, so unlike the fraud tables they need not place keys as the twin does)."""
    return (key * 0x9E3779B97F4A7C15ULL) >> shift


cdef int shift_for(Py_ssize_t cap) noexcept:
    """64 - log2(cap) for a power of two cap >= 2."""
    cdef int bits = 0
    while ((<Py_ssize_t>1) << bits) < cap:
        bits += 1
    return 64 - bits


cdef class U64Set:
    """Open-addressing set of 64-bit keys (linear probing, at most half full); 0 is kept in a flag."""

    cdef uint64_t* keys
    cdef uint64_t mask
    cdef int shift
    cdef bint has_zero
    cdef readonly Py_ssize_t size

    def __cinit__(self, object values):
        cdef Py_ssize_t cap = 16
        cdef uint64_t v
        values = list(values)
        while cap < 2 * len(values):
            cap <<= 1
        self.mask = <uint64_t>(cap - 1)
        self.shift = shift_for(cap)
        self.keys = <uint64_t*>PyMem_Malloc(cap * sizeof(uint64_t))
        if self.keys == NULL:
            raise MemoryError()
        memset(self.keys, 0, cap * sizeof(uint64_t))
        self.has_zero = False
        self.size = 0
        for value in values:
            self.add(<uint64_t>value)

    def __dealloc__(self):
        PyMem_Free(self.keys)

    def __len__(self):
        return self.size

    cdef void add(self, uint64_t v) noexcept:
        cdef uint64_t i
        if v == 0:
            if not self.has_zero:
                self.has_zero = True
                self.size += 1
            return
        i = fib_slot(v, self.shift)
        while self.keys[i] != 0:
            if self.keys[i] == v:
                return
            i = (i + 1) & self.mask
        self.keys[i] = v
        self.size += 1

    cdef void prefetch(self, uint64_t v) noexcept:
        FP_PREFETCH_R(&self.keys[fib_slot(v, self.shift)])

    cdef bint contains(self, uint64_t v) noexcept:
        cdef uint64_t i
        if v == 0:
            return self.has_zero
        i = fib_slot(v, self.shift)
        while self.keys[i] != 0:
            if self.keys[i] == v:
                return True
            i = (i + 1) & self.mask
        return False


cdef struct I64Entry:
    int64_t key
    PyObject* value  # NULL = empty slot


cdef class I64Map:
    """Open-addressing map of 64-bit integer keys to borrowed object pointers (the owner keeps the values alive)."""

    cdef I64Entry* entries
    cdef uint64_t mask
    cdef int shift
    cdef object owner
    cdef bint complete  # every key is an int in the 64-bit range (else lookups go to the dict)

    def __cinit__(self, dict values):
        cdef Py_ssize_t cap = 16
        cdef uint64_t i
        self.owner = values
        while cap < 2 * len(values):
            cap <<= 1
        self.mask = <uint64_t>(cap - 1)
        self.shift = shift_for(cap)
        self.entries = <I64Entry*>PyMem_Malloc(cap * sizeof(I64Entry))
        if self.entries == NULL:
            raise MemoryError()
        memset(self.entries, 0, cap * sizeof(I64Entry))
        self.complete = all(type(key) is int and -2**63 <= key < 2**63 for key in values)
        if not self.complete:
            return
        for key, value in values.items():
            i = fib_slot(<uint64_t>(<int64_t>key), self.shift)
            while self.entries[i].value != NULL:
                i = (i + 1) & self.mask
            self.entries[i].key = <int64_t>key
            self.entries[i].value = <PyObject*>value

    def __dealloc__(self):
        PyMem_Free(self.entries)

    cdef void prefetch(self, int64_t key) noexcept:
        FP_PREFETCH_R(&self.entries[fib_slot(<uint64_t>key, self.shift)])

    cdef PyObject* get(self, int64_t key) noexcept:
        cdef uint64_t i = fib_slot(<uint64_t>key, self.shift)
        while self.entries[i].value != NULL:
            if self.entries[i].key == key:
                return self.entries[i].value
            i = (i + 1) & self.mask
        return NULL


# -- string verdict cache -----------------------------------------------------------------------------------

cdef struct StrSlot:
    PyObject* key  # a strong reference to the str (NULL = empty)
    Py_hash_t hash
    uint32_t gen
    int verdict


cdef enum:
    STR_WAYS = 4  # StrVerdictCache: slots per set


cdef class StrVerdictCache:
    """Bounded str -> bool cache (user-agent and referrer verdicts): a 4-way set-associative C table indexed by
    the str's own (cached) hash, at most ``capacity`` entries (the largest power of two not above it, at least
    4). Each set keeps its slots in recency order: a hit moves its slot one place towards the front, a new
    entry goes in front and pushes the set's least recent one out. Two or three frequent strings whose hashes
    share a set therefore both stay cached (a direct-mapped table would make them evict each other on every
    click, each miss costing a scan of the bot list). A hit is a pointer comparison (or, for an equal str of
    another object, a hash and text comparison) instead of two dict lookups. ``clear`` is O(1): it starts a
    new generation (the old keys are released as slots are reused)."""

    cdef StrSlot* slots
    cdef uint64_t mask  # of the set index
    cdef uint32_t gen
    cdef readonly Py_ssize_t size  # live entries of the current generation
    cdef readonly Py_ssize_t capacity

    def __cinit__(self, Py_ssize_t capacity):
        cdef Py_ssize_t n = STR_WAYS
        while n * 2 <= capacity:
            n *= 2
        self.capacity = n
        self.mask = <uint64_t>(n // STR_WAYS - 1)
        self.slots = <StrSlot*>PyMem_Malloc(n * sizeof(StrSlot))
        if self.slots == NULL:
            raise MemoryError()
        memset(self.slots, 0, n * sizeof(StrSlot))
        self.gen = 1
        self.size = 0

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self.slots != NULL:
            for i in range(self.capacity):
                Py_XDECREF(self.slots[i].key)
            PyMem_Free(self.slots)

    cdef void clear(self) noexcept:
        cdef Py_ssize_t i
        self.gen += 1
        self.size = 0
        if self.gen == 0:  # wrapped around: forget every slot for real
            for i in range(self.capacity):
                Py_XDECREF(self.slots[i].key)
                self.slots[i].key = NULL
            self.gen = 1

    cdef inline int get(self, PyObject* s, Py_hash_t h) noexcept:
        """The cached verdict of ``s`` (0 or 1), or -1 when not cached."""
        cdef StrSlot* row = &self.slots[(<uint64_t>h & self.mask) * STR_WAYS]
        cdef StrSlot tmp
        cdef int way, verdict
        for way in range(STR_WAYS):
            if row[way].key == NULL or row[way].gen != self.gen:
                return -1  # slots fill from the front: the rest of the set is empty too
            if row[way].key == s or (row[way].hash == h and fp_str_eq(row[way].key, s)):
                verdict = row[way].verdict
                if way:
                    tmp = row[way - 1]
                    row[way - 1] = row[way]
                    row[way] = tmp
                return verdict
        return -1

    cdef void put(self, PyObject* s, Py_hash_t h, int verdict) noexcept:
        cdef StrSlot* row = &self.slots[(<uint64_t>h & self.mask) * STR_WAYS]
        cdef PyObject* old = row[STR_WAYS - 1].key
        cdef int way, live = 0
        for way in range(STR_WAYS):
            if row[way].key != NULL and row[way].gen == self.gen:
                live += 1
        if live < STR_WAYS:
            self.size += 1
        # Stale slots (an older generation) sort behind the live ones, so the shift keeps live slots in front.
        if live < STR_WAYS and row[live].key != NULL:
            old = row[live].key
            row[live].key = NULL
        else:
            row[STR_WAYS - 1].key = NULL
        for way in range((live if live < STR_WAYS else STR_WAYS - 1), 0, -1):
            row[way] = row[way - 1]
        Py_XINCREF(s)
        row[0].key = s
        row[0].hash = h
        row[0].gen = self.gen
        row[0].verdict = verdict
        Py_XDECREF(old)


# -- sets of webmaster ids ----------------------------------------------------------------------------------

cdef class ObjectSet:
    """A frozenset with a C copy (U64Set of the int64 values) when every member is an exact int in the signed
    64-bit range: an exact-int lookup then reads no Python object; anything else asks the frozenset."""

    cdef frozenset py
    cdef U64Set c
    cdef bint empty

    def __cinit__(self, frozenset values):
        self.py = values
        self.empty = not values
        self.c = None
        if values and all(type(v) is int and -2**63 <= v < 2**63 for v in values):
            self.c = U64Set([<uint64_t>(<int64_t>v) for v in values])

    cdef inline bint has(self, object value, bint exact, int64_t v) except -1:
        """``value in self.py``; ``exact``: value is an exact int equal to ``v``."""
        if self.empty:
            return False
        if exact and self.c is not None:
            return self.c.contains(<uint64_t>v)
        return value in self.py
