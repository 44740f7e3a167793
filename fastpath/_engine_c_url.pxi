# URL building and the C-side copies of compiled offers and landings (included by _engine_c.pyx).


cdef inline bint unreserved(unsigned char c) noexcept:
    return (
        (c >= 97 and c <= 122) or (c >= 65 and c <= 90) or (c >= 48 and c <= 57)
        or c == 45 or c == 46 or c == 95 or c == 126
    )


cdef const char* HEX = b"0123456789ABCDEF"


cdef class UrlBuilder:
    """A reusable UTF-8 byte buffer: literals are copied, values percent-encoded in place (RFC 3986
    unreserved characters kept, as urllib.parse.quote(value, safe='') does), one str made at the end."""

    cdef char* buf
    cdef Py_ssize_t n
    cdef Py_ssize_t cap

    def __cinit__(self):
        self.cap = 1024
        self.n = 0
        self.buf = <char*>PyMem_Malloc(self.cap)
        if self.buf == NULL:
            raise MemoryError()

    def __dealloc__(self):
        PyMem_Free(self.buf)

    cdef int reserve(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t want = self.n + extra
        cdef char* grown
        if want <= self.cap:
            return 0
        while self.cap < want:
            self.cap *= 2
        grown = <char*>PyMem_Realloc(self.buf, self.cap)
        if grown == NULL:
            raise MemoryError()
        self.buf = grown
        return 0

    cdef int put(self, bytes literal) except -1:
        cdef Py_ssize_t size = len(literal)
        self.reserve(size)
        memcpy(&self.buf[self.n], <const char*>literal, size)
        self.n += size
        return 0

    cdef int put_encoded(self, str value) except -1:
        cdef const unsigned char* data
        cdef Py_ssize_t size, i
        cdef unsigned char c
        cdef bytes raw
        if value is None:  # the twin skips falsy values too
            return 0
        if PyUnicode_IS_ASCII(value):
            data = <const unsigned char*>PyUnicode_DATA(value)
            size = PyUnicode_GET_LENGTH(value)
        else:
            raw = value.encode("utf-8")
            data = <const unsigned char*>(<const char*>raw)
            size = len(raw)
        self.reserve(size * 3)
        for i in range(size):
            c = data[i]
            if unreserved(c):
                self.buf[self.n] = <char>c
                self.n += 1
            else:
                self.buf[self.n] = 37
                self.buf[self.n + 1] = HEX[c >> 4]
                self.buf[self.n + 2] = HEX[c & 15]
                self.n += 3
        return 0

    cdef int put_int(self, object number) except -1:
        cdef int64_t v
        cdef uint64_t u
        cdef char digits[24]
        cdef int k = 0
        try:
            v = number
        except OverflowError:
            return self.put_encoded(str(number))
        self.reserve(24)
        if v < 0:
            self.buf[self.n] = 45
            self.n += 1
            u = <uint64_t>(-(v + 1)) + 1
        else:
            u = <uint64_t>v
        while True:
            digits[k] = <char>(48 + u % 10)
            k += 1
            u //= 10
            if u == 0:
                break
        while k > 0:
            k -= 1
            self.buf[self.n] = digits[k]
            self.n += 1
        return 0

    cdef str take(self):
        cdef str out = PyUnicode_DecodeUTF8(self.buf, self.n, NULL)
        self.n = 0
        return out


cdef tuple compile_segments(object segments):
    """Python segments (str literals, int macros) with the literals as UTF-8 bytes."""
    if segments is None:
        return None
    return tuple(item.encode("utf-8") if isinstance(item, str) else item for item in segments)


cdef class CLanding:
    cdef object id
    cdef bytes id_text
    cdef tuple segments
    cdef frozenset hosts
    cdef tuple suffixes
    cdef bint has_deep

    def __cinit__(self, object landing_obj):
        cdef tuple landing = <tuple>landing_obj
        self.id = landing[L_ID]
        self.id_text = str(landing[L_ID]).encode("ascii")
        self.segments = compile_segments(landing[L_SEGMENTS])
        self.hosts = landing[L_HOSTS]
        self.suffixes = landing[L_SUFFIXES]
        self.has_deep = landing[L_HAS_DEEP]


cdef class COffer:
    """One CompiledOffer with typed fields; targeting sets are None when empty (= any)."""

    cdef object id
    cdef bytes id_text
    cdef bint active
    cdef bint public
    cdef object approval_base  # offer_id << 32 when 0 <= offer_id < 2**31, else None
    cdef frozenset countries
    cdef frozenset devices
    cdef frozenset oses
    cdef bint has_schedule
    cdef uint32_t schedule[7]
    cdef dict landings
    cdef CLanding default_landing
    cdef tuple trafficback
    cdef tuple terms_specific
    cdef tuple terms_general
    cdef object click_cap
    cdef object conversion_cap

    def __cinit__(self, object offer_obj):
        cdef tuple offer = <tuple>offer_obj
        cdef int day
        self.id = offer[O_ID]
        self.id_text = str(offer[O_ID]).encode("ascii")
        self.active = offer[O_ACTIVE]
        self.public = offer[O_PUBLIC]
        self.approval_base = (self.id << 32) if 0 <= self.id < 2**31 else None
        self.countries = offer[O_COUNTRIES] or None
        self.devices = offer[O_DEVICES] or None
        self.oses = offer[O_OS] or None
        self.has_schedule = offer[O_SCHEDULE] is not None
        for day in range(7):
            self.schedule[day] = offer[O_SCHEDULE][day] if self.has_schedule else 0
        self.landings = {lid: CLanding(lp) for lid, lp in (<dict>offer[O_LANDINGS]).items()}
        self.default_landing = self.landings[(<tuple>offer[O_DEFAULT_LANDING])[L_ID]]
        self.trafficback = compile_segments(offer[O_TRAFFICBACK])
        self.terms_specific = offer[O_TERMS_SPECIFIC]
        self.terms_general = offer[O_TERMS_GENERAL]
        self.click_cap = offer[O_CLICK_CAP]
        self.conversion_cap = offer[O_CONVERSION_CAP]
