# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled engine: click matcher, fraud filter and cap counters (same API and results as _engine_py).

The hot state lives in C arrays allocated with PyMem_Malloc (so tracemalloc sees it): the fraud tables, the
CIDR interval tables and the cap counters. Snapshot fields are copied into typed attributes on install, and
compiled offers are read as tuples by position. Not thread-safe; every method runs with the GIL held, so
calls from several threads are serialised by the interpreter (see docs/fastpath.md).
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyTypeObject
from libc.math cimport floor
from libc.stdint cimport INT64_MIN, int64_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset


cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void* op)
    object PyType_GenericAlloc(PyTypeObject* type, Py_ssize_t nitems)
    bint PyUnicode_IS_ASCII(object o)
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    object PyUnicode_DecodeUTF8(const char* s, Py_ssize_t size, const char* errors)
    object PyUnicode_New(Py_ssize_t size, unsigned int maxchar)

from cpython cimport array
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF, Py_XINCREF
from cpython.tuple cimport PyTuple_SET_ITEM

cdef extern from *:
    """
    #define FP_PREFETCH(p) __builtin_prefetch((const void*)(p), 1, 3)
    #define FP_PREFETCH_R(p) __builtin_prefetch((const void*)(p), 0, 3)
    /* The lines of the first size bytes of o (objects are 16-byte aligned, not 64: the last byte too). Clicks
       are tuples of 17 items (24 + 136 bytes); their field objects are usually cold in a batch. */
    static inline void fp_prefetch_object(PyObject* o, Py_ssize_t size) {
        const char* p = (const char*)o;
        Py_ssize_t k;
        for (k = 0; k < size; k += 64) FP_PREFETCH_R(p + k);
        if (size > 0 && ((((size_t)p) & 63) + (size_t)size - 1) / 64 >= (size_t)((size + 63) / 64))
            FP_PREFETCH_R(p + size - 1);
    }
    static inline void fp_prefetch_click_fields(PyObject* t) {
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 17) return;
        FP_PREFETCH_R(PyTuple_GET_ITEM(t, 0));   /* target */
        FP_PREFETCH_R(PyTuple_GET_ITEM(t, 1));   /* webmaster */
        FP_PREFETCH_R(PyTuple_GET_ITEM(t, 2));   /* ts */
        fp_prefetch_object(PyTuple_GET_ITEM(t, 3), 80);  /* ip: header and text */
        FP_PREFETCH_R(PyTuple_GET_ITEM(t, 4));   /* user agent */
        fp_prefetch_object(PyTuple_GET_ITEM(t, 9), 64);  /* subs */
        FP_PREFETCH_R(PyTuple_GET_ITEM(t, 10));  /* country */
        FP_PREFETCH_R(PyTuple_GET_ITEM(t, 13));  /* referrer */
    }
    static inline void fp_prefetch_click_subs(PyObject* t) {
        PyObject* subs;
        Py_ssize_t k, n;
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 17) return;
        subs = PyTuple_GET_ITEM(t, 9);
        if (!PyTuple_Check(subs)) return;
        n = PyTuple_GET_SIZE(subs);
        for (k = 0; k < n && k < 4; k++) FP_PREFETCH_R(PyTuple_GET_ITEM(subs, k));
    }
    /* The str's cached hash when it has one (always after the first hash), else computed. */
    static inline Py_hash_t fp_str_hash(PyObject* s) {
        Py_hash_t h = ((PyASCIIObject*)s)->hash;
        return h != -1 ? h : PyObject_Hash(s);
    }
    /* 1 and *out = value when o is an exact int in the signed 64-bit range, else 0 (no exception set). */
    static inline int fp_exact_int64(PyObject* o, long long* out) {
        int overflow = 0;
        long long v;
        if (!PyLong_CheckExact(o)) return 0;
    #if PY_VERSION_HEX < 0x030C0000
        /* CPython 3.11: one 30-bit digit for |v| < 2**30 (the usual ids), size 0 for 0 */
        switch (Py_SIZE(o)) {
            case 0: *out = 0; return 1;
            case 1: *out = (long long)((PyLongObject*)o)->ob_digit[0]; return 1;
            case -1: *out = -(long long)((PyLongObject*)o)->ob_digit[0]; return 1;
            default: break;
        }
    #endif
        v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) return 0;
        *out = v;
        return 1;
    }
    /* Both are (ready) str: equal text. Equal strings have the same canonical kind, so the data compare. */
    static inline int fp_str_eq(PyObject* a, PyObject* b) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(a);
        int kind = PyUnicode_KIND(a);
        if (n != PyUnicode_GET_LENGTH(b) || kind != (int)PyUnicode_KIND(b)) return 0;
        return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * (size_t)kind) == 0;
    }
    /* A tuple subclass instance of n items, not tracked by the cyclic GC and not zeroed: every item must be
       set before anything else can see it (PyType_GenericAlloc zeroes, tracks, and is then untracked). */
    static inline PyObject* fp_new_untracked_tuple(PyTypeObject* tp, Py_ssize_t n) {
        return (PyObject*)_PyObject_GC_NewVar(tp, n);
    }
    /* The little-endian 64-bit word of the n (1..8) bytes at p, zero-padded (hashing.text_hash's words). */
    static inline uint64_t fp_word_le(const unsigned char* p, Py_ssize_t n) {
        uint64_t w = 0;
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (n == 8) { memcpy(&w, p, 8); return w; }
    #endif
        while (n-- > 0) w = (w << 8) | p[n];
        return w;
    }
    static inline int fp_click_target(PyObject* t, long long* out) {
        PyObject* target;
        int overflow = 0;
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 17) return 0;
        target = PyTuple_GET_ITEM(t, 0);
        if (!PyLong_CheckExact(target)) return 0;
        *out = PyLong_AsLongLongAndOverflow(target, &overflow);
        return !overflow;
    }
    """
    int fp_click_target(PyObject* t, long long* out) noexcept
    uint64_t fp_word_le(const unsigned char* p, Py_ssize_t n) noexcept
    Py_hash_t fp_str_hash(PyObject* s) noexcept
    int fp_exact_int64(PyObject* o, long long* out) noexcept
    int fp_str_eq(PyObject* a, PyObject* b) noexcept
    object fp_new_untracked_tuple(PyTypeObject* tp, Py_ssize_t n)
    void FP_PREFETCH(const void* p) noexcept nogil
    void FP_PREFETCH_R(const void* p) noexcept nogil
    void fp_prefetch_object(PyObject* o, Py_ssize_t size) noexcept
    void fp_prefetch_click_fields(PyObject* t) noexcept
    void fp_prefetch_click_subs(PyObject* t) noexcept

import array as _array_module

from fastpath.hashing import TAG_DUPLICATE, TAG_IP, TAG_SUB, TEXT_SALT, text_hash
from fastpath.netaddr import parse_ip
from fastpath.reasons import WEIGHT_BY_BIT, Reason
from fastpath.results import CapUsage, Decision, FraudVerdict
from fastpath.snapshot import SHARED
from fastpath.tables import state_bytes
from fastpath.urls import domain_listed, referrer_host, safe_deep_link


# Positions in fastpath.results.Click (C_), CompiledOffer (O_), CompiledLanding (L_); macro ids (M_).
cdef enum:
    WAYS = 4
    SUB_BUCKETS = 6
    C_TARGET = 0
    C_WM = 1
    C_TS = 2
    C_IP = 3
    C_UA = 4
    C_CLICK_ID = 5
    C_SMARTLINK = 6
    C_LANDING = 7
    C_DEEP = 8
    C_SUBS = 9
    C_COUNTRY = 10
    C_DEVICE = 11
    C_OS = 12
    C_REFERRER = 13
    C_SOURCE = 14
    C_CREATIVE = 15
    C_RAND = 16
    O_ID = 0
    O_ACTIVE = 1
    O_PUBLIC = 2
    O_COUNTRIES = 3
    O_DEVICES = 4
    O_OS = 5
    O_SCHEDULE = 6
    O_LANDINGS = 7
    O_DEFAULT_LANDING = 8
    O_TRAFFICBACK = 9
    O_TERMS_SPECIFIC = 10
    O_TERMS_GENERAL = 11
    O_CLICK_CAP = 12
    O_CONVERSION_CAP = 13
    L_ID = 0
    L_SEGMENTS = 1
    L_HOSTS = 2
    L_SUFFIXES = 3
    L_HAS_DEEP = 4
    M_CLICK_ID = 0
    M_OFFER_ID = 11
    M_WEBMASTER_ID = 12
    M_COUNTRY = 13
    M_DEVICE = 14
    M_OS = 15
    M_IP = 16
    M_LANDING_ID = 17
    M_SOURCE = 18
    M_CREATIVE_ID = 19
    M_DEEP_LINK = 20

cdef uint64_t C_TAG_DUPLICATE = TAG_DUPLICATE
cdef uint64_t C_TAG_IP = TAG_IP
cdef uint64_t C_TAG_SUB = TAG_SUB
cdef uint64_t C_TEXT_SALT = TEXT_SALT
cdef int64_t C_SHARED = SHARED

cdef int F_BOT_UA = 1
cdef int F_EMPTY_UA = 2
cdef int F_DATACENTER_IP = 4
cdef int F_INVALID_IP = 8
cdef int F_BLOCKED_IP = 16
cdef int F_BLOCKED_SUB = 32
cdef int F_BLOCKED_REFERRER = 64
cdef int F_BLOCKED_WEBMASTER = 128
cdef int F_DUPLICATE_CLICK = 256
cdef int F_VELOCITY_IP = 512
cdef int F_VELOCITY_SUB = 1024

cdef int[16] WEIGHTS
cdef int NWEIGHTS = len(WEIGHT_BY_BIT)
for _i, _w in enumerate(WEIGHT_BY_BIT):
    WEIGHTS[_i] = _w

# Reason codes: positions in fastpath.reasons.Reason (definition order), as BatchResult.reasons stores them.
cdef enum:
    RC_OK = 0
    RC_OFFER_UNKNOWN = 1
    RC_SMARTLINK_UNKNOWN = 2
    RC_NO_ELIGIBLE_OFFER = 3
    RC_WEBMASTER_BLOCKED = 4
    RC_WEBMASTER_INACTIVE = 5
    RC_OFFER_INACTIVE = 6
    RC_NO_ACCESS = 7
    RC_GEO_MISMATCH = 8
    RC_DEVICE_MISMATCH = 9
    RC_OS_MISMATCH = 10
    RC_SCHEDULE_CLOSED = 11
    RC_CAP_REACHED = 12

cdef tuple REASONS = tuple(Reason)
assert len(REASONS) == 13 and REASONS[RC_OK] is Reason.OK and REASONS[RC_CAP_REACHED] is Reason.CAP_REACHED
assert REASONS[RC_NO_ACCESS] is Reason.NO_ACCESS and REASONS[RC_WEBMASTER_BLOCKED] is Reason.WEBMASTER_BLOCKED

# BatchResult stores None ids as this value (ids must fit in a signed 64-bit integer for decide_many).
cdef int64_t NONE_ID = INT64_MIN
cdef array.array _ARRAY_Q = _array_module.array("q")
cdef array.array _ARRAY_D = _array_module.array("d")
cdef array.array _ARRAY_B = _array_module.array("B")



cdef object NOT_DUPLICATE = -1.0  # one shared float for the common case


cdef inline void _set(object t, Py_ssize_t i, object v):
    Py_INCREF(v)
    PyTuple_SET_ITEM(t, i, v)


cdef object make_verdict(bint valid, int flags, int score, long ip_count, long sub_count, double age):
    """A FraudVerdict built in place (what tuple.__new__ does, without the argument tuple).

    Verdicts and decisions hold only strings, numbers, None, enum members and verdicts: they cannot be part of
    a reference cycle, so they are untracked from the cyclic GC (CPython does the same for plain tuples of
    atomic values, never for tuple subclasses such as NamedTuples).
    """
    cdef object v_flags = flags
    cdef object v_score = score
    cdef object v_ip = ip_count
    cdef object v_sub = sub_count
    cdef object v_age = NOT_DUPLICATE if age < 0.0 else age
    cdef object t = fp_new_untracked_tuple(<PyTypeObject*>_FraudVerdict, 6)
    _set(t, 0, valid)
    _set(t, 1, v_flags)
    _set(t, 2, v_score)
    _set(t, 3, v_ip)
    _set(t, 4, v_sub)
    _set(t, 5, v_age)
    return t


cdef object make_decision(str url, bint trafficback, object reason, object offer_id, object landing_id,
                          object terms, object verdict):
    cdef object t = fp_new_untracked_tuple(<PyTypeObject*>_Decision, 7)
    _set(t, 0, url)
    _set(t, 1, trafficback)
    _set(t, 2, reason)
    _set(t, 3, offer_id)
    _set(t, 4, landing_id)
    _set(t, 5, terms)
    _set(t, 6, verdict)
    return t
cdef object _Decision = Decision
cdef object _FraudVerdict = FraudVerdict






# -- integer helpers ----------------------------------------------------------------------------------------

cdef inline uint64_t mix64(uint64_t x) noexcept:
    x ^= x >> 30
    x *= 0xBF58476D1CE4E5B9ULL
    x ^= x >> 27
    x *= 0x94D049BB133111EBULL
    return x ^ (x >> 31)


cdef inline uint64_t fold(uint64_t h, uint64_t v) noexcept:
    """hashing.fold: xor, an odd multiply, an xor-shift."""
    h = (h ^ v) * 0x9E3779B97F4A7C15ULL
    return h ^ (h >> 32)


cdef inline uint64_t nonzero(uint64_t k) noexcept:
    return k if k else 1


cdef inline uint64_t finish(uint64_t h) noexcept:
    """hashing.finish: the table key of a folded running key."""
    return nonzero(mix64(h))


cdef uint64_t text_hash_c(str text) except? 0:
    """hashing.text_hash: ASCII text word by word here, anything else through the Python function."""
    cdef const unsigned char* data
    cdef Py_ssize_t n, i
    cdef uint64_t h
    if not PyUnicode_IS_ASCII(text):
        return <uint64_t>text_hash(text)
    data = <const unsigned char*>PyUnicode_DATA(text)
    n = PyUnicode_GET_LENGTH(text)
    h = fold(C_TEXT_SALT, <uint64_t>n)
    i = 0
    while i < n:
        h = fold(h, fp_word_le(data + i, n - i if n - i < 8 else 8))
        i += 8
    return mix64(h)


cdef inline int64_t floordiv(int64_t a, int64_t b) noexcept:
    cdef int64_t q = a / b
    if (a % b != 0) and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef inline int64_t floormod(int64_t a, int64_t b) noexcept:
    return a - floordiv(a, b) * b


cdef inline int64_t day_of(double ts, int64_t offset) noexcept:
    return floordiv(<int64_t>floor(ts) + offset, 86400)


cdef int64_t month_of(int64_t day) noexcept:
    cdef int64_t z = day + 719468
    cdef int64_t era = floordiv(z, 146097)
    cdef int64_t doe = z - era * 146097
    cdef int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    cdef int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    cdef int64_t mp = (5 * doy + 2) / 153
    cdef int64_t month = mp + 3 if mp < 10 else mp - 9
    cdef int64_t year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year * 12 + month - 1


cdef inline double uniform(uint64_t seed, uint64_t counter) noexcept:
    cdef uint64_t x = mix64(seed + (counter + 1) * 0x9E3779B97F4A7C15ULL)
    return <double>(x >> 11) * (1.0 / 9007199254740992.0)


cdef int score_of(int flags) noexcept:
    cdef int total = 0
    cdef int bit
    if flags == 0:
        return 0
    for bit in range(NWEIGHTS):
        if (flags >> bit) & 1:
            total += WEIGHTS[bit]
    return total if total < 100 else 100


# -- IP parsing ---------------------------------------------------------------------------------------------

cdef bint parse_ip_c(str text, uint64_t* hi, uint64_t* lo) except -1:
    """Same acceptance as ipaddress.ip_address: dotted IPv4 parsed here (reading the str's 1-byte data
    directly: four parts of 1-3 digits, no leading zero, each <= 255), anything else in parse_ip_slow."""
    cdef const unsigned char* data
    cdef Py_ssize_t size, pos = 0
    cdef unsigned int d, part
    cdef uint64_t v4 = 0
    cdef int k
    if text is None:
        return False
    if PyUnicode_KIND(text) != 1:
        return parse_ip_slow(text, hi, lo)
    data = <const unsigned char*>PyUnicode_DATA(text)
    size = PyUnicode_GET_LENGTH(text)
    for k in range(4):
        if k:
            if pos >= size or data[pos] != 46:  # "."
                return parse_ip_slow(text, hi, lo)
            pos += 1
        if pos >= size:
            return parse_ip_slow(text, hi, lo)
        part = <unsigned int>data[pos] - 48
        if part > 9:
            return parse_ip_slow(text, hi, lo)
        pos += 1
        if pos < size:
            d = <unsigned int>data[pos] - 48
            if d <= 9:
                if part == 0:  # a leading zero
                    return parse_ip_slow(text, hi, lo)
                part = part * 10 + d
                pos += 1
                if pos < size:
                    d = <unsigned int>data[pos] - 48
                    if d <= 9:
                        part = part * 10 + d
                        pos += 1
                        if part > 255:
                            return parse_ip_slow(text, hi, lo)
        v4 = (v4 << 8) | part
    if pos != size:
        return parse_ip_slow(text, hi, lo)
    hi[0] = 0
    lo[0] = 0xFFFF00000000ULL | v4
    return True


cdef bint parse_ip_slow(str text, uint64_t* hi, uint64_t* lo) except -1:
    """Not a plain dotted quad: IPv6 (and IPv4-mapped forms) go to netaddr.parse_ip, anything else is invalid
    (a dotted quad is only accepted by the fast path, as before)."""
    cdef object value
    if ":" not in text:
        return False
    value = parse_ip(text)
    if value < 0:
        return False
    hi[0] = <uint64_t>(value >> 64)
    lo[0] = <uint64_t>(value & 0xFFFFFFFFFFFFFFFF)
    return True


include "_engine_c_url.pxi"


include "_engine_c_tables.pxi"
include "_engine_c_caps.pxi"
include "_engine_c_engine.pxi"


def text_hash_compiled(str text):
    """hashing.text_hash as the engine computes it in C (the tests compare the two)."""
    return text_hash_c(text)
