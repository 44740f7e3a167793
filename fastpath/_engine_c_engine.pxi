# The Engine class of _engine_c.pyx (included there; kept apart so that each file stays readable).
# Clicks, compiled offers and landings are NamedTuples; Cython's `tuple` type checks are exact, so they are
# cast with `<tuple>` (unchecked) after one isinstance check at the API boundary.


cdef enum:
    TERMS_NONE = 0
    TERMS_SPECIFIC = 1
    TERMS_GENERAL = 2
    BATCH_BLOCK = 256
    PREFETCH_AHEAD = 8


cdef struct FraudIn:
    uint64_t hi
    uint64_t lo
    uint64_t dup_key
    uint64_t ip_key
    uint64_t sub_key
    double ts
    int flags
    bint check_dc
    bint has_sub
    int64_t wm
    PyObject* offer  # decide_many: the direct link's COffer, looked up ahead (borrowed; NULL = none)


cdef struct FraudOut:
    int flags
    int score
    long ip_count
    long sub_count
    double age


cdef struct Match:
    int reason
    PyObject* offer    # COffer: the routed offer, or on trafficback the requested one (NULL = None)
    PyObject* landing  # CLanding when routed
    int terms_kind     # TERMS_NONE, or the pin at terms_index of terms_specific / terms_general
    Py_ssize_t terms_index


cdef class Prepared:
    """The compiled engine's typed copy of a snapshot's offers, approvals, URL templates and CIDR tables."""

    cdef readonly dict offers
    cdef readonly U64Set approval_keys
    cdef readonly U64Set pin_members
    cdef readonly I64Map offer_index
    cdef readonly dict country_codes
    cdef readonly dict device_codes
    cdef readonly dict os_codes
    cdef readonly tuple trafficback
    cdef readonly IntervalTable ip_block
    cdef readonly IntervalTable ip_allow
    cdef readonly IntervalTable datacenter


def prepare(snapshot):
    """Build the compiled engine's tables for ``snapshot``; build_snapshot calls it so that swaps are cheap."""
    cdef Prepared p = Prepared.__new__(Prepared)
    cdef PrepareContext ctx = PrepareContext.__new__(PrepareContext)
    offers = (<dict>snapshot.offers).values()
    ctx.country_codes = intern_codes([(<tuple>o)[O_COUNTRIES] for o in offers])
    ctx.device_codes = intern_codes([(<tuple>o)[O_DEVICES] for o in offers])
    ctx.os_codes = intern_codes([(<tuple>o)[O_OS] for o in offers])
    ctx.pin_members = []
    ctx.next_pin = 0
    p.offers = {oid: COffer(o, ctx) for oid, o in (<dict>snapshot.offers).items()}
    p.pin_members = U64Set(ctx.pin_members)
    p.offer_index = I64Map(p.offers)
    p.country_codes = ctx.country_codes
    p.device_codes = ctx.device_codes
    p.os_codes = ctx.os_codes
    p.approval_keys = U64Set(
        (o << 32) | w for o, w in snapshot.approvals
        if type(o) is int and type(w) is int and 0 <= o < 2**31 and 0 <= w < 4294967296
    )
    p.trafficback = compile_segments(snapshot.trafficback)
    p.ip_block = IntervalTable(snapshot.ip_block)
    p.ip_allow = IntervalTable(snapshot.ip_allow)
    p.datacenter = IntervalTable(snapshot.datacenter)
    return p


cdef inline tuple _as_tuple(object click):
    if not isinstance(click, tuple):
        raise TypeError(f"expected a Click, got {type(click).__name__}")
    return <tuple>click


cdef class Engine:
    """Decides clicks on one network's snapshot and keeps that network's fraud state and cap counters."""

    cdef object _snap
    cdef dict _offers
    cdef dict _coffers
    cdef U64Set _approval_keys
    cdef U64Set _pin_members
    cdef I64Map _offer_index
    cdef dict _country_codes
    cdef dict _device_codes
    cdef dict _os_codes
    cdef UrlBuilder _url
    cdef frozenset _approvals
    cdef ObjectSet _banned
    cdef ObjectSet _inactive
    cdef dict _smartlinks
    cdef tuple _tb
    cdef IntervalTable _ip_block
    cdef IntervalTable _ip_allow
    cdef IntervalTable _dc
    cdef frozenset _sub_block
    cdef frozenset _sub_allow
    cdef uint64_t _sub_block_lengths  # bit min(len, 63) of every blocked sub value (all bits: not only str)
    cdef frozenset _ref_block
    cdef frozenset _ref_allow
    cdef ObjectSet _wm_block
    cdef ObjectSet _wm_allow
    cdef double _dup_window
    cdef double _ip_window
    cdef double _sub_window
    cdef long _ip_limit
    cdef long _sub_limit
    cdef int64_t _offset
    cdef DuplicateTable _dups
    cdef VelocityTable _ips
    cdef VelocityTable _subs
    cdef object _bots
    cdef StrVerdictCache _ua_cache
    cdef StrVerdictCache _ref_cache
    cdef Py_ssize_t _ua_size
    cdef CapStore _click_caps
    cdef CapStore _conversion_caps
    cdef uint64_t _seed
    cdef uint64_t _draws

    def __init__(self, snapshot, *, seed=0):
        self._seed = <uint64_t>(seed & 0xFFFFFFFFFFFFFFFF)
        self._draws = 0
        self._click_caps = CapStore(snapshot.click_counters, snapshot.utc_offset_s)
        self._conversion_caps = CapStore(snapshot.conversion_counters, snapshot.utc_offset_s)
        self._install_fraud_state(snapshot)
        self._install_ua_cache(snapshot)
        self._install(snapshot)

    cdef _install_fraud_state(self, snapshot):
        fraud = snapshot.fraud
        self._dups = DuplicateTable(fraud.duplicate_slots)
        self._ips = VelocityTable(fraud.ip_slots)
        self._subs = VelocityTable(fraud.sub_slots)

    cdef _install_ua_cache(self, snapshot):
        fraud = snapshot.fraud
        self._bots = snapshot.bots
        self._ua_size = fraud.ua_cache_size
        self._ua_cache = StrVerdictCache(fraud.ua_cache_size)
        self._ref_cache = StrVerdictCache(fraud.ua_cache_size)

    cdef _install(self, snapshot):
        """Only reference assignments when the snapshot carries its Prepared tables (build_snapshot makes
        them off the hot path); a snapshot built without the extension is prepared here."""
        cdef Prepared prepared = snapshot.native if isinstance(snapshot.native, Prepared) else prepare(snapshot)
        fraud = snapshot.fraud
        if self._url is None:
            self._url = UrlBuilder()
        self._ref_cache.clear()
        self._offers = snapshot.offers
        self._coffers = prepared.offers
        self._approval_keys = prepared.approval_keys
        self._pin_members = prepared.pin_members
        self._offer_index = prepared.offer_index
        self._country_codes = prepared.country_codes
        self._device_codes = prepared.device_codes
        self._os_codes = prepared.os_codes
        self._approvals = snapshot.approvals
        self._banned = ObjectSet(snapshot.banned_webmasters)
        self._inactive = ObjectSet(snapshot.inactive_webmasters)
        self._smartlinks = snapshot.smartlinks
        self._tb = prepared.trafficback
        self._ip_block = prepared.ip_block
        self._ip_allow = prepared.ip_allow
        self._dc = prepared.datacenter
        self._sub_block = snapshot.sub_block
        self._sub_allow = snapshot.sub_allow
        self._sub_block_lengths = 0
        for value in self._sub_block:
            if type(value) is str:
                self._sub_block_lengths |= (<uint64_t>1) << min(len(value), 63)
            else:
                self._sub_block_lengths = ~(<uint64_t>0)
        self._ref_block = snapshot.referrer_block
        self._ref_allow = snapshot.referrer_allow
        self._wm_block = ObjectSet(snapshot.webmaster_block)
        self._wm_allow = ObjectSet(snapshot.webmaster_allow)
        self._dup_window = fraud.duplicate_window_s
        self._ip_window = fraud.ip_velocity_window_s
        self._sub_window = fraud.sub_velocity_window_s
        self._ip_limit = fraud.ip_velocity_limit
        self._sub_limit = fraud.sub_velocity_limit
        self._offset = snapshot.utc_offset_s
        self._snap = snapshot

    @property
    def snapshot(self):
        return self._snap

    def swap_snapshot(self, snapshot):
        """Decide on ``snapshot`` from now on. Duplicate and velocity state is kept unless the table sizes
        changed, the UA cache unless the bot list or its size changed; cap counters are merged per period (the
        larger of local and freshly counted)."""
        old = self._snap.fraud
        new = snapshot.fraud
        self._click_caps.rebase(snapshot.click_counters, snapshot.utc_offset_s)
        self._conversion_caps.rebase(snapshot.conversion_counters, snapshot.utc_offset_s)
        if (old.duplicate_slots, old.ip_slots, old.sub_slots) != (new.duplicate_slots, new.ip_slots, new.sub_slots):
            self._install_fraud_state(snapshot)
        if old.ua_cache_size != new.ua_cache_size or self._bots is not snapshot.bots:
            self._install_ua_cache(snapshot)
        self._install(snapshot)

    # -- caps -----------------------------------------------------------------------------------------------

    cdef object _limits(self, offer_id, bint conversion):
        cdef COffer offer = self._coffers.get(offer_id)
        if offer is None:
            raise KeyError(offer_id)
        return offer.conversion_cap if conversion else offer.click_cap

    def reserve_click(self, offer_id, webmaster_id, ts):
        limits = self._limits(offer_id, False)
        return limits is None or bool(self._click_caps.reserve(limits, offer_id, webmaster_id, ts))

    def release_click(self, offer_id, webmaster_id, ts):
        limits = self._limits(offer_id, False)
        if limits is not None:
            self._click_caps.release(limits, offer_id, webmaster_id, ts)

    def reserve_conversion(self, offer_id, webmaster_id, ts):
        limits = self._limits(offer_id, True)
        return limits is None or bool(self._conversion_caps.reserve(limits, offer_id, webmaster_id, ts))

    def release_conversion(self, offer_id, webmaster_id, ts):
        limits = self._limits(offer_id, True)
        if limits is not None:
            self._conversion_caps.release(limits, offer_id, webmaster_id, ts)

    def click_usage(self, offer_id, webmaster_id, ts):
        limits = self._limits(offer_id, False)
        if limits is None:
            return CapUsage(0, 0, 0)
        return self._click_caps.usage(limits, offer_id, webmaster_id, ts)

    def conversion_usage(self, offer_id, webmaster_id, ts):
        limits = self._limits(offer_id, True)
        if limits is None:
            return CapUsage(0, 0, 0)
        return self._conversion_caps.usage(limits, offer_id, webmaster_id, ts)

    # -- fraud ----------------------------------------------------------------------------------------------

    cdef bint _is_bot(self, str ua) except -1:
        """Cached per user agent (StrVerdictCache: a hit costs a pointer or text comparison)."""
        cdef Py_hash_t h = fp_str_hash(<PyObject*>ua)
        cdef int verdict = self._ua_cache.get(<PyObject*>ua, h)
        if verdict >= 0:
            return verdict
        verdict = 1 if self._bots.is_bot(ua) else 0
        self._ua_cache.put(<PyObject*>ua, h, verdict)
        return verdict

    cdef bint _referrer_blocked(self, str referrer) except -1:
        """Same cache as the user agents; cleared with the lists on every snapshot install."""
        cdef Py_hash_t h = fp_str_hash(<PyObject*>referrer)
        cdef int verdict = self._ref_cache.get(<PyObject*>referrer, h)
        if verdict >= 0:
            return verdict
        host = referrer_host(referrer)
        verdict = 1 if domain_listed(host, self._ref_block) and not domain_listed(host, self._ref_allow) else 0
        self._ref_cache.put(<PyObject*>referrer, h, verdict)
        return verdict

    cdef int _fraud_in(self, tuple click, FraudIn* f) except -1:
        """Everything of the verdict that reads no large table: the list flags and the three table keys.
        The data-centre search and the duplicate / velocity hits are left to _fraud_tables."""
        cdef int flags = 0
        cdef uint64_t hi = 0, lo = 0, key
        cdef str ua = click[C_UA]
        cdef tuple subs = click[C_SUBS]
        cdef object wm_obj = click[C_WM]
        cdef int64_t wm = wm_obj
        cdef str sub1
        cdef Py_ssize_t size
        f.ts = click[C_TS]
        f.wm = wm
        f.check_dc = False
        if not parse_ip_c(click[C_IP], &hi, &lo):
            flags |= F_INVALID_IP
            hi = 0
            lo = 0
        elif not (self._ip_allow.n and self._ip_allow.contains(hi, lo)):
            if self._ip_block.n and self._ip_block.contains(hi, lo):
                flags |= F_BLOCKED_IP
            f.check_dc = self._dc.n != 0
        if not ua:
            flags |= F_EMPTY_UA
        elif self._is_bot(ua):
            flags |= F_BOT_UA
        if self._sub_block:
            for sub in subs:
                if type(sub) is str:  # a blocked value has one of the blocked lengths: skip the others
                    size = PyUnicode_GET_LENGTH(sub)
                    if size == 0 or not ((self._sub_block_lengths >> (size if size < 63 else 63)) & 1):
                        continue
                if sub and sub in self._sub_block and sub not in self._sub_allow:
                    flags |= F_BLOCKED_SUB
                    break
        if self._ref_block and click[C_REFERRER] and self._referrer_blocked(click[C_REFERRER]):
            flags |= F_BLOCKED_REFERRER
        if not self._wm_block.empty and self._wm_block.has(wm_obj, type(wm_obj) is int, wm) and not (
            self._wm_allow.has(wm_obj, type(wm_obj) is int, wm)
        ):
            flags |= F_BLOCKED_WEBMASTER
        key = fold(fold(fold(C_TAG_DUPLICATE, hi), lo), <uint64_t>hash(ua))
        key = fold(fold(key, <uint64_t><int64_t>click[C_TARGET]), <uint64_t>wm)
        f.dup_key = finish(fold(key, 1 if click[C_SMARTLINK] else 0))
        f.ip_key = finish(fold(fold(C_TAG_IP, hi), lo))
        f.has_sub = False
        if subs:
            sub1 = subs[0]
            if sub1:
                f.has_sub = True
                f.sub_key = finish(fold(fold(C_TAG_SUB, <uint64_t>wm), text_hash_c(sub1)))
        f.hi = hi
        f.lo = lo
        f.flags = flags
        return 0

    cdef inline void _prefetch_tables(self, FraudIn* f) noexcept:
        if f.check_dc:
            self._dc.prefetch_rows(f.hi, f.lo)
        self._dups.prefetch(f.dup_key)
        self._ips.prefetch(f.ip_key)
        if f.has_sub:
            self._subs.prefetch(f.sub_key)
        if f.offer != NULL:
            self._prefetch_offer(<COffer>f.offer, f.wm)

    cdef void _prefetch_offer(self, COffer offer, int64_t wm) noexcept:
        """The objects _match_direct reads (the COffer itself was prefetched when it was looked up)."""
        if not offer.public and offer.approval_ok and (wm >> 32) == 0:
            self._approval_keys.prefetch(offer.approval_base | <uint64_t>wm)
        if offer.pins_fast and offer.n_spec and (wm >> 32) == 0:
            self._pin_members.prefetch(offer.spec_key[0] | <uint64_t>wm)
        if offer.countries is not None:
            FP_PREFETCH_R(&offer.country_mask)
        if offer.devices is not None:
            FP_PREFETCH_R(&offer.device_mask)
        if offer.oses is not None:
            FP_PREFETCH_R(&offer.os_mask)
        FP_PREFETCH_R(<PyObject*>offer.default_landing)
        FP_PREFETCH_R(<PyObject*>offer.terms_specific)
        FP_PREFETCH_R(<PyObject*>offer.terms_general)

    cdef void _fraud_tables(self, FraudIn* f, FraudOut* o) noexcept:
        cdef int flags = f.flags
        cdef double ts = f.ts
        if f.check_dc and self._dc.contains(f.hi, f.lo):
            flags |= F_DATACENTER_IP
        o.age = self._dups.hit(f.dup_key, ts, self._dup_window)
        if o.age >= 0.0:
            flags |= F_DUPLICATE_CLICK
        o.ip_count = self._ips.hit(f.ip_key, ts, self._ip_window)
        if o.ip_count > self._ip_limit:
            flags |= F_VELOCITY_IP
        o.sub_count = 0
        if f.has_sub:
            o.sub_count = self._subs.hit(f.sub_key, ts, self._sub_window)
            if o.sub_count > self._sub_limit:
                flags |= F_VELOCITY_SUB
        o.flags = flags
        o.score = score_of(flags)

    cdef inline void _prefetch_state(self, FraudIn* f) noexcept:
        """One click's independent table lines at once, so that their cache misses overlap (per call)."""
        if f.check_dc:
            self._dc.prefetch_index(f.hi, f.lo)
        self._dups.prefetch(f.dup_key)
        self._ips.prefetch(f.ip_key)
        if f.has_sub:
            self._subs.prefetch(f.sub_key)

    cdef object _fraud(self, tuple click):
        cdef FraudIn f
        cdef FraudOut o
        self._fraud_in(click, &f)
        self._prefetch_state(&f)
        self._fraud_tables(&f, &o)
        return make_verdict(o.flags == 0, o.flags, o.score, o.ip_count, o.sub_count, o.age)

    def check_fraud(self, click):
        """The verdict of ``click``; counts it in the duplicate and velocity state."""
        return self._fraud(_as_tuple(click))

    def state_stats(self):
        """Tracked keys per table, their fixed capacities and the fixed bytes of the tables."""
        fraud = self._snap.fraud
        return {
            "duplicate_keys": self._dups.occupied,
            "duplicate_slots": self._dups.slots,
            "ip_keys": self._ips.occupied,
            "ip_slots": self._ips.slots,
            "sub_keys": self._subs.occupied,
            "sub_slots": self._subs.slots,
            "ua_cache": self._ua_cache.size,
            "ua_cache_size": self._ua_size,
            "state_bytes": state_bytes(fraud.duplicate_slots, fraud.ip_slots, fraud.sub_slots),
        }

    # -- matching -------------------------------------------------------------------------------------------

    cdef int _ineligible(self, COffer offer, tuple click, int64_t wmk) except -1:
        """0 when ``offer`` may take ``click``, else the reason code (``wmk``: see wm_key)."""
        cdef int64_t secs, day
        cdef int weekday, hour
        if not offer.active:
            return RC_OFFER_INACTIVE
        if not offer.public:
            if offer.approval_ok and wmk >= 0:
                if not self._approval_keys.contains(offer.approval_base | <uint64_t>wmk):
                    return RC_NO_ACCESS
            elif (offer.id, click[C_WM]) not in self._approvals:
                return RC_NO_ACCESS
        if offer.countries is not None and not targeted(
            click[C_COUNTRY], offer.countries, &offer.country_mask, self._country_codes
        ):
            return RC_GEO_MISMATCH
        if offer.devices is not None and not targeted(
            click[C_DEVICE], offer.devices, &offer.device_mask, self._device_codes
        ):
            return RC_DEVICE_MISMATCH
        if offer.oses is not None and not targeted(click[C_OS], offer.oses, &offer.os_mask, self._os_codes):
            return RC_OS_MISMATCH
        if offer.has_schedule:
            secs = <int64_t>floor(<double>click[C_TS]) + self._offset
            day = floordiv(secs, 86400)
            weekday = <int>floormod(day + 3, 7)
            hour = <int>(floormod(secs, 86400) // 3600)
            if not ((offer.schedule[weekday] >> hour) & 1):
                return RC_SCHEDULE_CLOSED
        return RC_OK

    cdef int _webmaster_reason(self, object wm) except -1:
        cdef long long v = 0
        cdef bint exact
        if self._banned.empty and self._inactive.empty:
            return RC_OK
        exact = fp_exact_int64(<PyObject*>wm, &v)
        if self._banned.has(wm, exact, v):
            return RC_WEBMASTER_BLOCKED
        if self._inactive.has(wm, exact, v):
            return RC_WEBMASTER_INACTIVE
        return RC_OK

    cdef int _route(self, COffer offer, tuple click, int64_t wmk, Match* m) except -1:
        """Landing and terms pin of a routed click (borrowed references: the snapshot keeps them alive)."""
        cdef CLanding landing = offer.default_landing
        cdef double ts = click[C_TS]
        cdef tuple pin
        cdef Py_ssize_t k
        landing_id = click[C_LANDING]
        if landing_id is not None:
            landing = offer.landings.get(landing_id, landing)
        m.reason = RC_OK
        m.offer = <PyObject*>offer
        m.landing = <PyObject*>landing
        m.terms_kind = TERMS_NONE
        wm = click[C_WM]
        if offer.pins_fast:
            if offer.n_spec:
                if wmk >= 0:
                    for k in range(offer.n_spec):
                        if offer.spec_eff[k] <= ts and self._pin_members.contains(offer.spec_key[k] | <uint64_t>wmk):
                            m.terms_kind = TERMS_SPECIFIC
                            m.terms_index = k
                            return 0
                else:
                    for k in range(offer.n_spec):
                        if offer.spec_eff[k] <= ts and wm in (<tuple>offer.terms_specific[k])[2]:
                            m.terms_kind = TERMS_SPECIFIC
                            m.terms_index = k
                            return 0
            for k in range(offer.n_gen):
                if offer.gen_eff[k] <= ts:
                    m.terms_kind = TERMS_GENERAL
                    m.terms_index = k
                    return 0
            return 0
        for k in range(len(offer.terms_specific)):
            pin = <tuple>offer.terms_specific[k]
            if <double>pin[0] <= ts and wm in pin[2]:
                m.terms_kind = TERMS_SPECIFIC
                m.terms_index = k
                return 0
        for k in range(len(offer.terms_general)):
            pin = <tuple>offer.terms_general[k]
            if <double>pin[0] <= ts:
                m.terms_kind = TERMS_GENERAL
                m.terms_index = k
                return 0
        return 0

    cdef inline int _trafficback(self, COffer offer, int reason, Match* m) except -1:
        m.reason = reason
        m.offer = NULL if offer is None else <PyObject*>offer
        m.landing = NULL
        m.terms_kind = TERMS_NONE
        return 0

    cdef int _match_smartlink(self, tuple click, Match* m) except -1:
        cdef double rand, point
        cdef int64_t total = 0, acc = 0
        cdef list eligible = []
        cdef list weights = []
        cdef COffer offer, chosen
        cdef Py_ssize_t i
        cdef int reason
        cdef int64_t wmk
        entries = self._smartlinks.get(click[C_TARGET])
        if entries is None:
            return self._trafficback(None, RC_SMARTLINK_UNKNOWN, m)
        reason = self._webmaster_reason(click[C_WM])
        if reason != RC_OK:
            return self._trafficback(None, reason, m)
        wmk = wm_key(click[C_WM])
        for entry in <tuple>entries:
            offer = self._coffers.get((<tuple>entry)[0])
            if offer is None or self._ineligible(offer, click, wmk) != RC_OK:
                continue
            if offer.click_cap is not None and not self._click_caps.available(
                offer.click_cap, offer.id, click[C_WM], click[C_TS]
            ):
                continue
            eligible.append(offer)
            weights.append((<tuple>entry)[1])
            total += <int64_t>(<tuple>entry)[1]
        if not eligible:
            return self._trafficback(None, RC_NO_ELIGIBLE_OFFER, m)
        if click[C_RAND] is None:
            rand = uniform(self._seed, self._draws)
            self._draws += 1
        else:
            rand = click[C_RAND]
        point = rand * total
        chosen = eligible[len(eligible) - 1]
        for i in range(len(eligible)):
            acc += <int64_t>weights[i]
            if point < acc:
                chosen = eligible[i]
                break
        if chosen.click_cap is not None:
            self._click_caps.reserve(chosen.click_cap, chosen.id, click[C_WM], click[C_TS])
        return self._route(chosen, click, wmk, m)

    cdef PyObject* _find_offer(self, object target) except? NULL:
        """The COffer of a direct link's target id (borrowed; NULL when unknown): C map for exact ints."""
        if self._offer_index.complete and type(target) is int:
            try:
                return self._offer_index.get(<int64_t>target)
            except OverflowError:
                pass
        found_obj = self._coffers.get(target)
        return NULL if found_obj is None else <PyObject*>found_obj

    cdef int _match(self, tuple click, Match* m) except -1:
        """Route ``click`` (reserving click capacity): fills ``m`` with borrowed references."""
        cdef PyObject* found
        if click[C_SMARTLINK]:
            return self._match_smartlink(click, m)
        found = self._find_offer(click[C_TARGET])
        if found == NULL:
            return self._trafficback(None, RC_OFFER_UNKNOWN, m)
        return self._match_direct(click, <COffer>found, m)

    cdef int _match_direct(self, tuple click, COffer offer, Match* m) except -1:
        cdef int reason
        cdef int64_t wmk = wm_key(click[C_WM])
        reason = self._webmaster_reason(click[C_WM])
        if reason == RC_OK:
            reason = self._ineligible(offer, click, wmk)
        if reason == RC_OK and offer.click_cap is not None:
            if not self._click_caps.reserve(offer.click_cap, offer.id, click[C_WM], click[C_TS]):
                reason = RC_CAP_REACHED
        if reason != RC_OK:
            return self._trafficback(offer, reason, m)
        return self._route(offer, click, wmk, m)

    cdef object _decide(self, tuple click):
        cdef Match m
        cdef COffer offer
        cdef FraudIn f
        cdef FraudOut o
        cdef PyObject* found = NULL
        self._fraud_in(click, &f)
        self._prefetch_state(&f)
        if not click[C_SMARTLINK]:
            found = self._find_offer(click[C_TARGET])
            if found != NULL:
                fp_prefetch_object(found, COFFER_HOT_BYTES)
        self._fraud_tables(&f, &o)
        if found != NULL:
            self._prefetch_offer(<COffer>found, f.wm)
        verdict = make_verdict(o.flags == 0, o.flags, o.score, o.ip_count, o.sub_count, o.age)
        if found != NULL:
            self._match_direct(click, <COffer>found, &m)
        else:
            self._match(click, &m)
        url = decision_url(self._url, self._tb, &m, click)
        if m.reason != RC_OK:
            return make_decision(
                url, True, REASONS[m.reason], None if m.offer == NULL else (<COffer>m.offer).id, None, None,
                verdict,
            )
        offer = <COffer>m.offer
        return make_decision(url, False, REASONS[RC_OK], offer.id, (<CLanding>m.landing).id, terms_object(&m), verdict)

    def decide(self, click):
        return self._decide(_as_tuple(click))

    def decide_batch(self, clicks):
        """``decide`` on each click in order (state carries from one click to the next)."""
        cdef list out = []
        for click in clicks:
            out.append(self._decide(_as_tuple(click)))
        return out

    def decide_many(self, clicks):
        """The decisions of ``clicks`` (in order, as ``decide_batch``) as a struct-of-arrays BatchResult.

        Works through the clicks in blocks of BATCH_BLOCK: first the list checks, table keys and offer lookup of
        the whole block (prefetching each click's objects and the data-centre index a few clicks ahead), then the
        table hits and matching, each click prefetching the buckets and offer data of the click PREFETCH_AHEAD
        places ahead, so that the cache misses of ~1M distinct IPs overlap. URLs are rendered by
        ``BatchResult.url``. A non-Click raises TypeError before anything is counted; another error (e.g. a
        non-int webmaster id) propagates with the earlier blocks counted and its own block not (decide_batch
        would have counted every click before it).
        """
        cdef tuple items = tuple(clicks)
        cdef Py_ssize_t n = len(items), start, stop, i, j, ahead
        cdef BatchResult r = BatchResult.__new__(BatchResult)
        cdef FraudIn* pre
        cdef FraudOut o
        cdef FraudIn* f
        cdef long long target
        cdef Match m
        cdef tuple click
        cdef long long* offer_ids
        cdef long long* landing_ids
        cdef long long* terms_ids
        cdef long long* flags
        cdef long long* scores
        cdef long long* ip_counts
        cdef long long* sub_counts
        cdef double* ages
        cdef unsigned char* reasons
        for item in items:  # a non-Click raises before any click is counted
            _as_tuple(item)
        pre = <FraudIn*>PyMem_Malloc(BATCH_BLOCK * sizeof(FraudIn))
        if pre == NULL:
            raise MemoryError()
        try:
            r._init(n, items, self._coffers, self._offer_index, self._tb)
            offer_ids = r.offer_ids.data.as_longlongs
            landing_ids = r.landing_ids.data.as_longlongs
            terms_ids = r.terms_ids.data.as_longlongs
            flags = r.flags.data.as_longlongs
            scores = r.scores.data.as_longlongs
            ip_counts = r.ip_counts.data.as_longlongs
            sub_counts = r.sub_counts.data.as_longlongs
            ages = r.duplicate_ages.data.as_doubles
            reasons = r.reasons.data.as_uchars
            start = 0
            while start < n:
                stop = min(n, start + BATCH_BLOCK)
                for i in range(start, stop):
                    if i + 2 * PREFETCH_AHEAD < n:
                        fp_prefetch_object(<PyObject*>items[i + 2 * PREFETCH_AHEAD], 160)
                    if i + PREFETCH_AHEAD < n:
                        fp_prefetch_click_fields(<PyObject*>items[i + PREFETCH_AHEAD])
                    if i + PREFETCH_AHEAD // 2 < n:
                        fp_prefetch_click_subs(<PyObject*>items[i + PREFETCH_AHEAD // 2])
                        if self._offer_index.complete and fp_click_target(
                            <PyObject*>items[i + PREFETCH_AHEAD // 2], &target
                        ):
                            self._offer_index.prefetch(target)
                    click = _as_tuple(items[i])
                    f = &pre[i - start]
                    self._fraud_in(click, f)
                    if f.check_dc:
                        self._dc.prefetch_index(f.hi, f.lo)
                    f.offer = NULL
                    if not click[C_SMARTLINK]:
                        f.offer = self._find_offer(click[C_TARGET])
                        if f.offer != NULL:
                            fp_prefetch_object(f.offer, COFFER_HOT_BYTES)
                for j in range(start, min(stop, start + PREFETCH_AHEAD)):
                    self._prefetch_tables(&pre[j - start])
                for i in range(start, stop):
                    ahead = i + PREFETCH_AHEAD
                    if ahead < stop:
                        self._prefetch_tables(&pre[ahead - start])
                    f = &pre[i - start]
                    self._fraud_tables(f, &o)
                    flags[i] = o.flags
                    scores[i] = o.score
                    ip_counts[i] = o.ip_count
                    sub_counts[i] = o.sub_count
                    ages[i] = o.age
                    click = <tuple>items[i]
                    if f.offer != NULL:
                        self._match_direct(click, <COffer>f.offer, &m)
                    else:
                        self._match(click, &m)
                    reasons[i] = <unsigned char>m.reason
                    offer_ids[i] = NONE_ID if m.offer == NULL else offer_id64(<COffer>m.offer)
                    if m.reason == RC_OK:
                        landing_ids[i] = landing_id64(<CLanding>m.landing)
                        terms_ids[i] = terms_int(&m)
                    else:
                        landing_ids[i] = NONE_ID
                        terms_ids[i] = NONE_ID
                start = stop
        finally:
            PyMem_Free(pre)
        return r


cdef inline int64_t wm_key(object wm) noexcept:
    """A webmaster id usable as the low 32 bits of a C set key: an exact int in [0, 2**32), else -1."""
    cdef long long v
    if not fp_exact_int64(<PyObject*>wm, &v):
        return -1
    return v if (v >> 32) == 0 else -1


cdef inline bint targeted(object value, frozenset values, Mask256* mask, dict codes) except -1:
    """``value in values``, through the interned bitmask when the snapshot has one."""
    if codes is None:
        return value in values
    code = codes.get(value)
    return code is not None and mask_has(mask, <Py_ssize_t>code)


cdef inline int64_t offer_id64(COffer offer) except? -1:
    return offer.id64 if offer.id64 != NONE_ID else <int64_t>offer.id


cdef inline int64_t landing_id64(CLanding landing) except? -1:
    return landing.id64 if landing.id64 != NONE_ID else <int64_t>landing.id


cdef object terms_object(Match* m):
    cdef COffer offer = <COffer>m.offer
    if offer.pins_fast and m.terms_kind != TERMS_NONE:  # a new int equal to the pin's: no cold tuple reads
        return offer.spec_ver[m.terms_index] if m.terms_kind == TERMS_SPECIFIC else offer.gen_ver[m.terms_index]
    if m.terms_kind == TERMS_SPECIFIC:
        return (<tuple>offer.terms_specific[m.terms_index])[1]
    if m.terms_kind == TERMS_GENERAL:
        return (<tuple>offer.terms_general[m.terms_index])[1]
    return None


cdef int64_t terms_int(Match* m) except? -1:
    cdef COffer offer = <COffer>m.offer
    if m.terms_kind == TERMS_NONE:
        return NONE_ID
    if offer.pins_fast:
        return offer.spec_ver[m.terms_index] if m.terms_kind == TERMS_SPECIFIC else offer.gen_ver[m.terms_index]
    return <int64_t>terms_object(m)


cdef str render(UrlBuilder b, tuple segments, tuple click, bytes offer_text, bytes landing_text, str deep):
    """``offer_text`` None means the requested target id (trafficback of a direct link)."""
    cdef int seg
    cdef tuple subs
    b.n = 0
    for item in segments:
        if type(item) is bytes:
            b.put(<bytes>item)
            continue
        if type(item) is bytearray:
            b.put_utf8(<bytearray>item)
            continue
        seg = item
        if seg == M_CLICK_ID:
            b.put_encoded(click[C_CLICK_ID])
        elif seg <= 10:
            subs = click[C_SUBS]
            if seg <= len(subs):
                b.put_encoded(subs[seg - 1])
        elif seg == M_OFFER_ID:
            if offer_text is None:
                b.put_int(click[C_TARGET])
            else:
                b.put(offer_text)
        elif seg == M_WEBMASTER_ID:
            b.put_int(click[C_WM])
        elif seg == M_COUNTRY:
            b.put_encoded(click[C_COUNTRY])
        elif seg == M_DEVICE:
            b.put_encoded(click[C_DEVICE])
        elif seg == M_OS:
            b.put_encoded(click[C_OS])
        elif seg == M_IP:
            b.put_encoded(click[C_IP])
        elif seg == M_LANDING_ID:
            b.put(landing_text)
        elif seg == M_SOURCE:
            b.put_encoded(click[C_SOURCE])
        elif seg == M_CREATIVE_ID:
            b.put_encoded(click[C_CREATIVE])
        else:
            b.put_encoded(deep)
    return b.take()


cdef str decision_url(UrlBuilder b, tuple network_tb, Match* m, tuple click):
    cdef COffer offer
    cdef CLanding landing
    cdef tuple segments = network_tb
    cdef str deep = ""
    if m.reason != RC_OK:
        if m.offer != NULL and (<COffer>m.offer).trafficback is not None:
            segments = (<COffer>m.offer).trafficback
        if segments is None:
            return ""
        return render(b, segments, click, b"" if click[C_SMARTLINK] else None, b"", "")
    offer = <COffer>m.offer
    landing = <CLanding>m.landing
    if click[C_DEEP]:
        deep = safe_deep_link(click[C_DEEP], landing.hosts, landing.suffixes) or ""
    if deep and not landing.has_deep:
        return deep
    return render(b, landing.segments, click, offer.id_text, landing.id_text, deep)


cdef class BatchResult:
    """Decisions of ``Engine.decide_many`` as arrays (index i = the i-th click). ``None`` ids are stored as
    -2**63; ``reasons`` holds positions in ``Reason``; a verdict is valid when its ``flags`` are 0. The URL
    of a decision is rendered on demand by ``url(i)``; ``decision(i)`` rebuilds the full Decision."""

    cdef readonly array.array offer_ids
    cdef readonly array.array landing_ids
    cdef readonly array.array terms_ids
    cdef readonly array.array reasons
    cdef readonly array.array flags
    cdef readonly array.array scores
    cdef readonly array.array ip_counts
    cdef readonly array.array sub_counts
    cdef readonly array.array duplicate_ages
    cdef tuple _clicks
    cdef dict _coffers
    cdef I64Map _offer_index
    cdef tuple _tb
    cdef UrlBuilder _url

    cdef int _init(self, Py_ssize_t n, tuple clicks, dict coffers, I64Map offer_index, tuple tb) except -1:
        self.offer_ids = array.clone(_ARRAY_Q, n, False)
        self.landing_ids = array.clone(_ARRAY_Q, n, False)
        self.terms_ids = array.clone(_ARRAY_Q, n, False)
        self.reasons = array.clone(_ARRAY_B, n, False)
        self.flags = array.clone(_ARRAY_Q, n, False)
        self.scores = array.clone(_ARRAY_Q, n, False)
        self.ip_counts = array.clone(_ARRAY_Q, n, False)
        self.sub_counts = array.clone(_ARRAY_Q, n, False)
        self.duplicate_ages = array.clone(_ARRAY_D, n, False)
        self._clicks = clicks
        self._coffers = coffers
        self._offer_index = offer_index
        self._tb = tb
        return 0

    def __len__(self):
        return len(self._clicks)

    cdef Py_ssize_t _index(self, Py_ssize_t i) except -1:
        if i < 0:
            i += len(self._clicks)
        if i < 0 or i >= len(self._clicks):
            raise IndexError("BatchResult index out of range")
        return i

    def is_trafficback(self, Py_ssize_t i):
        return self.reasons.data.as_uchars[self._index(i)] != RC_OK

    def reason(self, Py_ssize_t i):
        return REASONS[self.reasons.data.as_uchars[self._index(i)]]

    def url(self, Py_ssize_t i):
        """The redirect URL of decision ``i`` (rendered now, the same string ``decide`` returns)."""
        cdef Match m
        cdef COffer offer = None
        cdef CLanding landing = None
        cdef int64_t oid, lid
        cdef PyObject* found
        i = self._index(i)
        m.reason = self.reasons.data.as_uchars[i]
        oid = self.offer_ids.data.as_longlongs[i]
        if oid != NONE_ID:
            found = self._offer_index.get(oid) if self._offer_index.complete else NULL
            offer = <COffer>found if found != NULL else self._coffers[oid]
        if m.reason == RC_OK:
            lid = self.landing_ids.data.as_longlongs[i]
            landing = offer.default_landing
            if lid != landing.id64:
                landing = offer.landings[lid]
        m.offer = NULL if offer is None else <PyObject*>offer
        m.landing = NULL if landing is None else <PyObject*>landing
        m.terms_kind = TERMS_NONE
        if self._url is None:
            self._url = UrlBuilder()
        return decision_url(self._url, self._tb, &m, <tuple>self._clicks[i])

    def decision(self, Py_ssize_t i):
        """Decision ``i`` as ``decide`` returns it."""
        cdef int64_t oid, lid, tid, fl
        cdef double age
        i = self._index(i)
        oid = self.offer_ids.data.as_longlongs[i]
        lid = self.landing_ids.data.as_longlongs[i]
        tid = self.terms_ids.data.as_longlongs[i]
        fl = self.flags.data.as_longlongs[i]
        age = self.duplicate_ages.data.as_doubles[i]
        verdict = make_verdict(
            fl == 0, <int>fl, <int>self.scores.data.as_longlongs[i], <long>self.ip_counts.data.as_longlongs[i],
            <long>self.sub_counts.data.as_longlongs[i], age,
        )
        code = self.reasons.data.as_uchars[i]
        return make_decision(
            self.url(i), code != RC_OK, REASONS[code], None if oid == NONE_ID else oid,
            None if lid == NONE_ID else lid, None if tid == NONE_ID else tid, verdict,
        )

    def decisions(self):
        return [self.decision(i) for i in range(len(self._clicks))]

