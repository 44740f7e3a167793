# The Engine class of _engine_c.pyx (included there; kept apart so that each file stays readable).
# Clicks, compiled offers and landings are NamedTuples; Cython's `tuple` type checks are exact, so they are
# cast with `<tuple>` (unchecked) after one isinstance check at the API boundary.


cdef class Prepared:
    """The compiled engine's typed copy of a snapshot's offers, approvals, URL templates and CIDR tables."""

    cdef readonly dict offers
    cdef readonly set approval_keys
    cdef readonly tuple trafficback
    cdef readonly IntervalTable ip_block
    cdef readonly IntervalTable ip_allow
    cdef readonly IntervalTable datacenter


def prepare(snapshot):
    """Build the compiled engine's tables for ``snapshot``; build_snapshot calls it so that swaps are cheap."""
    cdef Prepared p = Prepared.__new__(Prepared)
    p.offers = {oid: COffer(o) for oid, o in (<dict>snapshot.offers).items()}
    p.approval_keys = {
        (o << 32) | w for o, w in snapshot.approvals
        if type(o) is int and type(w) is int and 0 <= o < 2**31 and 0 <= w < 4294967296
    }
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
    cdef set _approval_keys
    cdef UrlBuilder _url
    cdef frozenset _approvals
    cdef frozenset _banned
    cdef frozenset _inactive
    cdef dict _smartlinks
    cdef tuple _tb
    cdef IntervalTable _ip_block
    cdef IntervalTable _ip_allow
    cdef IntervalTable _dc
    cdef frozenset _sub_block
    cdef frozenset _sub_allow
    cdef frozenset _ref_block
    cdef frozenset _ref_allow
    cdef frozenset _wm_block
    cdef frozenset _wm_allow
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
    cdef dict _ua_hot
    cdef dict _ua_old
    cdef dict _ref_hot
    cdef dict _ref_old
    cdef Py_ssize_t _ua_half
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
        self._ua_hot = {}
        self._ua_old = {}
        self._ua_size = fraud.ua_cache_size
        self._ua_half = max(1, fraud.ua_cache_size // 2)

    cdef _install(self, snapshot):
        """Only reference assignments when the snapshot carries its Prepared tables (build_snapshot makes
        them off the hot path); a snapshot built without the extension is prepared here."""
        cdef Prepared prepared = snapshot.native if isinstance(snapshot.native, Prepared) else prepare(snapshot)
        fraud = snapshot.fraud
        if self._url is None:
            self._url = UrlBuilder()
        self._ref_hot = {}
        self._ref_old = {}
        self._offers = snapshot.offers
        self._coffers = prepared.offers
        self._approval_keys = prepared.approval_keys
        self._approvals = snapshot.approvals
        self._banned = snapshot.banned_webmasters
        self._inactive = snapshot.inactive_webmasters
        self._smartlinks = snapshot.smartlinks
        self._tb = prepared.trafficback
        self._ip_block = prepared.ip_block
        self._ip_allow = prepared.ip_allow
        self._dc = prepared.datacenter
        self._sub_block = snapshot.sub_block
        self._sub_allow = snapshot.sub_allow
        self._ref_block = snapshot.referrer_block
        self._ref_allow = snapshot.referrer_allow
        self._wm_block = snapshot.webmaster_block
        self._wm_allow = snapshot.webmaster_allow
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
        """Two-generation LRU: hits in the old generation are promoted; a full hot generation becomes old."""
        verdict = self._ua_hot.get(ua)
        if verdict is not None:
            return verdict is True
        verdict = self._ua_old.get(ua)
        if verdict is None:
            verdict = bool(self._bots.is_bot(ua))
        if len(self._ua_hot) >= self._ua_half:
            self._ua_old = self._ua_hot
            self._ua_hot = {}
        self._ua_hot[ua] = verdict
        return verdict is True

    cdef bint _referrer_blocked(self, str referrer) except -1:
        """Same two-generation cache as the user agents; cleared with the lists on every snapshot install."""
        verdict = self._ref_hot.get(referrer)
        if verdict is not None:
            return verdict is True
        verdict = self._ref_old.get(referrer)
        if verdict is None:
            host = referrer_host(referrer)
            verdict = bool(domain_listed(host, self._ref_block) and not domain_listed(host, self._ref_allow))
        if len(self._ref_hot) >= self._ua_half:
            self._ref_old = self._ref_hot
            self._ref_hot = {}
        self._ref_hot[referrer] = verdict
        return verdict is True

    cdef object _fraud(self, tuple click):
        cdef int flags = 0
        cdef uint64_t hi = 0, lo = 0, key
        cdef str ua = click[C_UA]
        cdef tuple subs = click[C_SUBS]
        cdef double ts = click[C_TS]
        cdef double age
        cdef long ip_count, sub_count = 0
        cdef int64_t wm = click[C_WM]
        cdef str sub1
        if not parse_ip_c(click[C_IP], &hi, &lo):
            flags |= F_INVALID_IP
            hi = 0
            lo = 0
        elif not (self._ip_allow.n and self._ip_allow.contains(hi, lo)):
            if self._ip_block.n and self._ip_block.contains(hi, lo):
                flags |= F_BLOCKED_IP
            if self._dc.n and self._dc.contains(hi, lo):
                flags |= F_DATACENTER_IP
        if not ua:
            flags |= F_EMPTY_UA
        elif self._is_bot(ua):
            flags |= F_BOT_UA
        if self._sub_block:
            for sub in subs:
                if sub and sub in self._sub_block and sub not in self._sub_allow:
                    flags |= F_BLOCKED_SUB
                    break
        if self._ref_block and click[C_REFERRER] and self._referrer_blocked(click[C_REFERRER]):
            flags |= F_BLOCKED_REFERRER
        if self._wm_block and wm in self._wm_block and wm not in self._wm_allow:
            flags |= F_BLOCKED_WEBMASTER
        key = combine(combine(combine(C_TAG_DUPLICATE, hi), lo), <uint64_t>hash(ua))
        key = combine(combine(key, <uint64_t><int64_t>click[C_TARGET]), <uint64_t>wm)
        key = nonzero(combine(key, 1 if click[C_SMARTLINK] else 0))
        age = self._dups.hit(key, ts, self._dup_window)
        if age >= 0.0:
            flags |= F_DUPLICATE_CLICK
        ip_count = self._ips.hit(nonzero(combine(combine(C_TAG_IP, hi), lo)), ts, self._ip_window)
        if ip_count > self._ip_limit:
            flags |= F_VELOCITY_IP
        if subs:
            sub1 = subs[0]
            if sub1:
                key = nonzero(combine(combine(C_TAG_SUB, <uint64_t>wm), <uint64_t>hash(sub1)))
                sub_count = self._subs.hit(key, ts, self._sub_window)
                if sub_count > self._sub_limit:
                    flags |= F_VELOCITY_SUB
        return make_verdict(flags == 0, flags, score_of(flags), ip_count, sub_count, age)

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
            "ua_cache": len(self._ua_hot) + len(self._ua_old),
            "ua_cache_size": self._ua_size,
            "state_bytes": state_bytes(fraud.duplicate_slots, fraud.ip_slots, fraud.sub_slots),
        }

    # -- matching -------------------------------------------------------------------------------------------

    cdef object _ineligible(self, COffer offer, tuple click):
        cdef int64_t secs, day
        cdef int weekday, hour
        if not offer.active:
            return R_OFFER_INACTIVE
        if not offer.public:
            wm = click[C_WM]
            if offer.approval_base is not None and type(wm) is int and 0 <= wm < 4294967296:
                if (offer.approval_base | wm) not in self._approval_keys:
                    return R_NO_ACCESS
            elif (offer.id, wm) not in self._approvals:
                return R_NO_ACCESS
        if offer.countries is not None and click[C_COUNTRY] not in offer.countries:
            return R_GEO_MISMATCH
        if offer.devices is not None and click[C_DEVICE] not in offer.devices:
            return R_DEVICE_MISMATCH
        if offer.oses is not None and click[C_OS] not in offer.oses:
            return R_OS_MISMATCH
        if offer.has_schedule:
            secs = <int64_t>floor(<double>click[C_TS]) + self._offset
            day = floordiv(secs, 86400)
            weekday = <int>floormod(day + 3, 7)
            hour = <int>(floormod(secs, 86400) // 3600)
            if not ((offer.schedule[weekday] >> hour) & 1):
                return R_SCHEDULE_CLOSED
        return None

    cdef object _webmaster_reason(self, wm):
        if self._banned and wm in self._banned:
            return R_WEBMASTER_BLOCKED
        if self._inactive and wm in self._inactive:
            return R_WEBMASTER_INACTIVE
        return None

    cdef str _render(self, tuple segments, tuple click, bytes offer_text, bytes landing_text, str deep):
        """``offer_text`` None means the requested target id (trafficback of a direct link)."""
        cdef UrlBuilder b = self._url
        cdef int seg
        cdef tuple subs
        b.n = 0
        for item in segments:
            if type(item) is bytes:
                b.put(<bytes>item)
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

    cdef object _trafficback(self, COffer offer, tuple click, object reason, object verdict):
        cdef tuple segments = self._tb
        cdef str url = ""
        cdef bytes offer_text = b"" if click[C_SMARTLINK] else None
        if offer is not None and offer.trafficback is not None:
            segments = offer.trafficback
        if segments is not None:
            url = self._render(segments, click, offer_text, b"", "")
        return make_decision(url, True, reason, None if offer is None else offer.id, None, None, verdict)

    cdef object _route(self, COffer offer, tuple click, object verdict):
        cdef CLanding landing = offer.default_landing
        cdef str deep = ""
        cdef str url
        cdef double ts = click[C_TS]
        cdef tuple pin
        landing_id = click[C_LANDING]
        if landing_id is not None:
            landing = offer.landings.get(landing_id, landing)
        if click[C_DEEP]:
            deep = safe_deep_link(click[C_DEEP], landing.hosts, landing.suffixes) or ""
        if deep and not landing.has_deep:
            url = deep
        else:
            url = self._render(landing.segments, click, offer.id_text, landing.id_text, deep)
        terms = None
        if offer.terms_specific:
            wm = click[C_WM]
            for item in offer.terms_specific:
                pin = <tuple>item
                if <double>pin[0] <= ts and wm in pin[2]:
                    terms = pin[1]
                    break
        if terms is None:
            for item in offer.terms_general:
                pin = <tuple>item
                if <double>pin[0] <= ts:
                    terms = pin[1]
                    break
        return make_decision(url, False, R_OK, offer.id, landing.id, terms, verdict)

    cdef object _decide_smartlink(self, tuple click, object verdict):
        cdef double rand, point
        cdef int64_t total = 0, acc = 0
        cdef list eligible = []
        cdef list weights = []
        cdef COffer offer, chosen
        cdef Py_ssize_t i
        entries = self._smartlinks.get(click[C_TARGET])
        if entries is None:
            return self._trafficback(None, click, R_SMARTLINK_UNKNOWN, verdict)
        reason = self._webmaster_reason(click[C_WM])
        if reason is not None:
            return self._trafficback(None, click, reason, verdict)
        for entry in <tuple>entries:
            offer = self._coffers.get((<tuple>entry)[0])
            if offer is None or self._ineligible(offer, click) is not None:
                continue
            if offer.click_cap is not None and not self._click_caps.available(
                offer.click_cap, offer.id, click[C_WM], click[C_TS]
            ):
                continue
            eligible.append(offer)
            weights.append((<tuple>entry)[1])
            total += <int64_t>(<tuple>entry)[1]
        if not eligible:
            return self._trafficback(None, click, R_NO_ELIGIBLE_OFFER, verdict)
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
        return self._route(chosen, click, verdict)

    cdef object _decide(self, tuple click):
        cdef COffer offer
        verdict = self._fraud(click)
        if click[C_SMARTLINK]:
            return self._decide_smartlink(click, verdict)
        offer = self._coffers.get(click[C_TARGET])
        if offer is None:
            return self._trafficback(None, click, R_OFFER_UNKNOWN, verdict)
        reason = self._webmaster_reason(click[C_WM])
        if reason is None:
            reason = self._ineligible(offer, click)
        if reason is None and offer.click_cap is not None:
            if not self._click_caps.reserve(offer.click_cap, offer.id, click[C_WM], click[C_TS]):
                reason = R_CAP_REACHED
        if reason is not None:
            return self._trafficback(offer, click, reason, verdict)
        return self._route(offer, click, verdict)

    def decide(self, click):
        return self._decide(_as_tuple(click))

    def decide_batch(self, clicks):
        """``decide`` on each click in order (state carries from one click to the next)."""
        cdef list out = []
        for click in clicks:
            out.append(self._decide(_as_tuple(click)))
        return out
