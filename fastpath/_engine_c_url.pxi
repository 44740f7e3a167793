# URL building and the C-side copies of compiled offers and landings (included by _engine_c.pyx).


cdef inline bint unreserved(unsigned char c) noexcept:
    return (
        (c >= 97 and c <= 122) or (c >= 65 and c <= 90) or (c >= 48 and c <= 57)
        or c == 45 or c == 46 or c == 95 or c == 126
    )


cdef const char* HEX = b"0123456789ABCDEF"
cdef unsigned char[256] UNRESERVED  # 1 for the RFC 3986 unreserved bytes (a table lookup per encoded byte)
for _c in range(256):
    UNRESERVED[_c] = unreserved(_c)


cdef class UrlBuilder:
    """A reusable UTF-8 byte buffer: literals are copied, values percent-encoded in place (RFC 3986
    unreserved characters kept, as urllib.parse.quote(value, safe='') does), one str made at the end."""

    cdef char* buf
    cdef Py_ssize_t n
    cdef Py_ssize_t cap
    cdef bint ascii  # nothing but ASCII written since the last take (percent-encoded values always are)

    def __cinit__(self):
        self.cap = 1024
        self.n = 0
        self.ascii = True
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
        """An ASCII literal (compile_segments keeps the others as bytearray: put_utf8)."""
        cdef Py_ssize_t size = len(literal)
        if self.n + size > self.cap:
            self.reserve(size)
        memcpy(&self.buf[self.n], <const char*>literal, size)
        self.n += size
        return 0

    cdef int put_utf8(self, bytearray literal) except -1:
        cdef Py_ssize_t size = len(literal)
        self.reserve(size)
        self.ascii = False
        if size:
            memcpy(&self.buf[self.n], <const char*>literal, size)
        self.n += size
        return 0

    cdef int put_encoded(self, str value) except -1:
        cdef const unsigned char* data
        cdef Py_ssize_t size, i
        cdef unsigned char c
        cdef unsigned char* out
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
        out = <unsigned char*>&self.buf[self.n]
        for i in range(size):
            c = data[i]
            if UNRESERVED[c]:
                out[0] = c
                out += 1
            else:
                out[0] = 37
                out[1] = HEX[c >> 4]
                out[2] = HEX[c & 15]
                out += 3
        self.n = <Py_ssize_t>(<char*>out - self.buf)
        return 0

    cdef int put_int(self, object number) except -1:
        cdef int64_t v
        cdef uint64_t u
        cdef char digits[24]
        cdef int k = 0
        cdef long long exact
        if fp_exact_int64(<PyObject*>number, &exact):
            v = exact
        else:
            try:
                v = number
            except OverflowError:
                return self.put_encoded(str(number))
        if self.n + 24 > self.cap:
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
        cdef str out
        if self.ascii:  # no validation needed: one allocation and a copy
            out = PyUnicode_New(self.n, 127)
            if self.n:
                memcpy(PyUnicode_DATA(out), self.buf, self.n)
        else:
            out = PyUnicode_DecodeUTF8(self.buf, self.n, NULL)
        self.n = 0
        self.ascii = True
        return out


cdef int64_t id64_of(object value):
    if type(value) is int and -2**63 < value < 2**63:
        return <int64_t>value
    return NONE_ID


cdef tuple compile_segments(object segments):
    """Python segments (str literals, int macros) with the literals as UTF-8: bytes when ASCII, else
    bytearray (so that UrlBuilder.take knows whether the URL needs UTF-8 decoding)."""
    if segments is None:
        return None
    return tuple(
        (item.encode("ascii") if item.isascii() else bytearray(item.encode("utf-8"))) if isinstance(item, str)
        else item
        for item in segments
    )


cdef class CLanding:
    cdef object id
    cdef int64_t id64  # id when it is an int in the 64-bit range and not -2**63 (else NONE_ID: use id)
    cdef bytes id_text
    cdef tuple segments
    cdef frozenset hosts
    cdef tuple suffixes
    cdef bint has_deep

    def __cinit__(self, object landing_obj):
        cdef tuple landing = <tuple>landing_obj
        self.id = landing[L_ID]
        self.id64 = id64_of(self.id)
        self.id_text = str(landing[L_ID]).encode("ascii")
        self.segments = compile_segments(landing[L_SEGMENTS])
        self.hosts = landing[L_HOSTS]
        self.suffixes = landing[L_SUFFIXES]
        self.has_deep = landing[L_HAS_DEEP]


cdef enum:
    PIN_INLINE = 2


cdef struct Mask256:
    uint64_t w[4]


cdef inline bint mask_has(Mask256* m, Py_ssize_t code) noexcept:
    return (m.w[code >> 6] >> (code & 63)) & 1


cdef int fill_mask(Mask256* m, object values, dict codes) except -1:
    cdef Py_ssize_t code
    memset(m, 0, sizeof(Mask256))
    if codes is None or not values:
        return 0
    for value in values:
        code = codes[value]
        m.w[code >> 6] |= (<uint64_t>1) << (code & 63)
    return 0


cdef dict intern_codes(object sets):
    """value -> bit position for every value of ``sets``; None when there are more than 256 values."""
    cdef dict codes = {}
    for values in sets:
        if values:
            for value in values:
                if value not in codes:
                    codes[value] = len(codes)
    return codes if len(codes) <= 256 else None


cdef class PrepareContext:
    cdef dict country_codes
    cdef dict device_codes
    cdef dict os_codes
    cdef list pin_members  # (pin uid << 32) | webmaster_id of every specific pin of a pins_fast offer
    cdef uint64_t next_pin


cdef class COffer:
    """One CompiledOffer with typed fields; targeting sets are None when empty (= any).

    Targeting sets are also bitmasks over the snapshot's interned values (when there are at most 256 of each
    kind), and terms pins C arrays (when ids fit in 32 / 64 bits: ``pins_fast``), so that a decision reads
    the COffer object and not the scattered Python objects behind it."""

    # Hot fields first (Cython keeps the declaration order): a direct link reads the first three cache lines.
    cdef int64_t id64  # as CLanding.id64
    cdef uint64_t approval_base
    cdef bint active
    cdef bint public
    cdef bint approval_ok  # 0 <= offer_id < 2**31: approvals are looked up as offer_id << 32 | webmaster_id
    cdef bint has_schedule
    cdef bint pins_fast  # at most PIN_INLINE pins of each kind, ids in range: the inline arrays below
    cdef int n_spec
    cdef int n_gen
    cdef frozenset countries
    cdef frozenset devices
    cdef frozenset oses
    cdef CLanding default_landing
    cdef object click_cap
    cdef double spec_eff[PIN_INLINE]
    cdef uint64_t spec_key[PIN_INLINE]
    cdef double gen_eff[PIN_INLINE]
    cdef uint32_t schedule[7]
    cdef int64_t spec_ver[PIN_INLINE]
    cdef int64_t gen_ver[PIN_INLINE]
    cdef Mask256 country_mask
    cdef Mask256 device_mask
    cdef Mask256 os_mask
    cdef object id
    cdef bytes id_text
    cdef dict landings
    cdef tuple trafficback
    cdef tuple terms_specific
    cdef tuple terms_general
    cdef object conversion_cap

    def __cinit__(self, object offer_obj, PrepareContext ctx):
        cdef tuple offer = <tuple>offer_obj
        cdef int day
        self.id = offer[O_ID]
        self.id64 = id64_of(self.id)
        self.id_text = str(offer[O_ID]).encode("ascii")
        self.active = offer[O_ACTIVE]
        self.public = offer[O_PUBLIC]
        self.approval_ok = type(self.id) is int and 0 <= self.id < 2**31
        self.approval_base = (<uint64_t>(<int64_t>self.id)) << 32 if self.approval_ok else 0
        self.countries = offer[O_COUNTRIES] or None
        self.devices = offer[O_DEVICES] or None
        self.oses = offer[O_OS] or None
        fill_mask(&self.country_mask, self.countries, ctx.country_codes)
        fill_mask(&self.device_mask, self.devices, ctx.device_codes)
        fill_mask(&self.os_mask, self.oses, ctx.os_codes)
        self.has_schedule = offer[O_SCHEDULE] is not None
        for day in range(7):
            self.schedule[day] = offer[O_SCHEDULE][day] if self.has_schedule else 0
        self.landings = {lid: CLanding(lp) for lid, lp in (<dict>offer[O_LANDINGS]).items()}
        self.default_landing = self.landings[(<tuple>offer[O_DEFAULT_LANDING])[L_ID]]
        self.trafficback = compile_segments(offer[O_TRAFFICBACK])
        self.terms_specific = offer[O_TERMS_SPECIFIC]
        self.terms_general = offer[O_TERMS_GENERAL]
        self._compile_pins(ctx)
        self.click_cap = offer[O_CLICK_CAP]
        self.conversion_cap = offer[O_CONVERSION_CAP]

    cdef int _compile_pins(self, PrepareContext ctx) except -1:
        cdef Py_ssize_t k
        cdef tuple pin
        cdef list members = []
        self.n_spec = 0
        self.n_gen = 0
        self.pins_fast = False
        if len(self.terms_specific) > PIN_INLINE or len(self.terms_general) > PIN_INLINE:
            return 0
        for item in self.terms_specific + self.terms_general:
            if type(item[1]) is not int or not (-2**63 < item[1] < 2**63):
                return 0
        for item in self.terms_specific:
            for wm in item[2]:
                if type(wm) is not int or not (0 <= wm < 4294967296):
                    return 0
        self.n_spec = len(self.terms_specific)
        self.n_gen = len(self.terms_general)
        for k in range(self.n_spec):
            pin = <tuple>self.terms_specific[k]
            self.spec_eff[k] = pin[0]
            self.spec_ver[k] = pin[1]
            self.spec_key[k] = ctx.next_pin << 32
            for wm in pin[2]:
                members.append(self.spec_key[k] | <uint64_t>wm)
            ctx.next_pin += 1
        for k in range(self.n_gen):
            pin = <tuple>self.terms_general[k]
            self.gen_eff[k] = pin[0]
            self.gen_ver[k] = pin[1]
        ctx.pin_members.extend(members)
        self.pins_fast = True
        return 0


# The hot fields of a COffer (object header to the inline terms pins, gen_ver included: 224 bytes on 64-bit
# CPython; a routed click reads its pin's version from spec_ver / gen_ver).
cdef Py_ssize_t COFFER_HOT_BYTES = 224
