# Cap counters (included by _engine_c.pyx).

# -- cap counters -------------------------------------------------------------------------------------------

cdef class CapStore:
    """(offer_id, webmaster key) -> [day, used day, month, used month, used total] in one C array."""

    cdef int64_t* rows
    cdef Py_ssize_t n
    cdef Py_ssize_t capacity
    cdef dict index
    cdef int64_t offset

    def __cinit__(self, dict initial, int64_t offset):
        self.index = {}
        self.n = 0
        self.capacity = 16
        self.offset = offset
        self.rows = <int64_t*>PyMem_Malloc(self.capacity * 5 * sizeof(int64_t))
        if self.rows == NULL:
            raise MemoryError()
        for key, state in initial.items():
            self._set(self._row(key, state[0], state[2]), state)

    def __dealloc__(self):
        PyMem_Free(self.rows)

    cdef Py_ssize_t _row(self, tuple key, int64_t day, int64_t month) except -1:
        cdef object found = self.index.get(key)
        cdef int64_t* grown
        cdef int64_t* row
        if found is not None:
            return <Py_ssize_t>found
        if self.n == self.capacity:
            grown = <int64_t*>PyMem_Realloc(self.rows, self.capacity * 2 * 5 * sizeof(int64_t))
            if grown == NULL:
                raise MemoryError()
            self.rows = grown
            self.capacity *= 2
        row = &self.rows[self.n * 5]
        row[0] = day
        row[1] = 0
        row[2] = month
        row[3] = 0
        row[4] = 0
        self.index[key] = self.n
        self.n += 1
        return self.n - 1

    cdef void _set(self, Py_ssize_t i, tuple state):
        cdef int64_t* row = &self.rows[i * 5]
        cdef int k
        for k in range(5):
            row[k] = state[k]

    def rebase(self, dict fresh, int64_t offset):
        cdef int64_t* row
        cdef int64_t day, month, d, m
        self.offset = offset
        for key, state in fresh.items():
            if key not in self.index:
                self._set(self._row(key, state[0], state[2]), state)
                continue
            row = &self.rows[self._row(key, 0, 0) * 5]
            day = max(row[0], <int64_t>state[0])
            month = max(row[2], <int64_t>state[2])
            d = max(row[1] if row[0] == day else 0, <int64_t>state[1] if state[0] == day else 0)
            m = max(row[3] if row[2] == month else 0, <int64_t>state[3] if state[2] == month else 0)
            row[4] = max(row[4], <int64_t>state[4])
            row[0], row[1], row[2], row[3] = day, d, month, m

    cdef int64_t* state(self, object limits_obj, int64_t offer_id, int64_t webmaster_id, double ts,
                        int64_t* day, int64_t* month) except NULL:
        cdef tuple limits = <tuple>limits_obj
        day[0] = day_of(ts, self.offset)
        month[0] = month_of(day[0])
        key = (offer_id, webmaster_id if limits[3] else C_SHARED)
        return &self.rows[self._row(key, day[0], month[0]) * 5]

    cdef int available(self, object limits_obj, int64_t offer_id, int64_t webmaster_id, double ts) except -1:
        cdef tuple limits = <tuple>limits_obj
        cdef int64_t day, month
        cdef int64_t* row = self.state(limits, offer_id, webmaster_id, ts, &day, &month)
        cdef int64_t used_day = row[1] if day <= row[0] else 0
        cdef int64_t used_month = row[3] if month <= row[2] else 0
        cdef int64_t daily = limits[0], monthly = limits[1], total = limits[2]
        if daily >= 0 and used_day >= daily:
            return False
        if monthly >= 0 and used_month >= monthly:
            return False
        if total >= 0 and row[4] >= total:
            return False
        return True

    cdef int reserve(self, object limits_obj, int64_t offer_id, int64_t webmaster_id, double ts) except -1:
        cdef tuple limits = <tuple>limits_obj
        cdef int64_t day, month
        cdef int64_t* row
        if not self.available(limits, offer_id, webmaster_id, ts):
            return False
        row = self.state(limits, offer_id, webmaster_id, ts, &day, &month)
        if day > row[0]:
            row[0] = day
            row[1] = 0
        if month > row[2]:
            row[2] = month
            row[3] = 0
        row[1] += 1
        row[3] += 1
        row[4] += 1
        return True

    cdef int release(self, object limits_obj, int64_t offer_id, int64_t webmaster_id, double ts) except -1:
        cdef tuple limits = <tuple>limits_obj
        cdef int64_t day, month
        cdef int64_t* row = self.state(limits, offer_id, webmaster_id, ts, &day, &month)
        if day == row[0] and row[1] > 0:
            row[1] -= 1
        if month == row[2] and row[3] > 0:
            row[3] -= 1
        if row[4] > 0:
            row[4] -= 1
        return 0

    cdef object usage(self, object limits_obj, int64_t offer_id, int64_t webmaster_id, double ts):
        cdef tuple limits = <tuple>limits_obj
        cdef int64_t day, month
        cdef int64_t* row = self.state(limits, offer_id, webmaster_id, ts, &day, &month)
        return CapUsage(row[1] if day <= row[0] else 0, row[3] if month <= row[2] else 0, row[4])
