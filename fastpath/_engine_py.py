"""Pure-Python engine: click matcher, fraud filter and cap counters (the reference twin of _engine_c).

Not thread-safe: one Engine per process or per thread, or serialise calls (see docs/fastpath.md).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from fastpath.botua import UaCache
from fastpath.hashing import MASK64, TAG_DUPLICATE, TAG_IP, TAG_SUB, finish, fold, splitmix_uniform, text_hash
from fastpath.macros import M_DEEP_LINK, M_LANDING_ID, M_OFFER_ID, Segments, encode_value
from fastpath.netaddr import parse_ip
from fastpath.reasons import FraudFlag, Reason, score_of
from fastpath.results import NONE_ID, CapUsage, Click, Decision, FraudVerdict
from fastpath.snapshot import SHARED, CapLimits, CompiledLanding, CompiledOffer, CounterState, Snapshot
from fastpath.tables import state_bytes
from fastpath.timeutil import day_index, month_index, weekday_hour
from fastpath.urls import domain_listed, referrer_host, safe_deep_link

from ._fraud_py import DuplicateTable, VelocityTable

_EMPTY_SUBS = ("",) * 10
_REASONS = tuple(Reason)
_REASON_CODE = {reason: code for code, reason in enumerate(_REASONS)}


def _id(value: int | None) -> int:
    return NONE_ID if value is None else value


class BatchResult:
    """``Engine.decide_many``'s struct-of-arrays result (the twin renders URLs eagerly; the compiled engine
    renders them in ``url``). None ids are ``NONE_ID``; ``reasons`` holds positions in ``Reason``."""

    def __init__(self, decisions: list[Decision]) -> None:
        self._decisions = decisions
        self.offer_ids = array("q", [_id(d.offer_id) for d in decisions])
        self.landing_ids = array("q", [_id(d.landing_id) for d in decisions])
        self.terms_ids = array("q", [_id(d.terms_version_id) for d in decisions])
        self.reasons = array("B", [_REASON_CODE[d.reason] for d in decisions])
        self.flags = array("q", [d.verdict.flags for d in decisions])
        self.scores = array("q", [d.verdict.score for d in decisions])
        self.ip_counts = array("q", [d.verdict.ip_count for d in decisions])
        self.sub_counts = array("q", [d.verdict.sub_count for d in decisions])
        self.duplicate_ages = array("d", [d.verdict.duplicate_age for d in decisions])

    def __len__(self) -> int:
        return len(self._decisions)

    def is_trafficback(self, i: int) -> bool:
        return self._decisions[i].is_trafficback

    def reason(self, i: int) -> Reason:
        return self._decisions[i].reason

    def url(self, i: int) -> str:
        return self._decisions[i].url

    def decision(self, i: int) -> Decision:
        return self._decisions[i]

    def decisions(self) -> list[Decision]:
        return list(self._decisions)


def _merge(local: list[int], fresh: CounterState) -> list[int]:
    """Counters after a snapshot swap: per period, the larger of the local and the freshly counted value."""
    day, used_day, month, used_month, total = fresh
    merged = [max(local[0], day), 0, max(local[2], month), 0, max(local[4], total)]
    merged[1] = max(local[1] if local[0] == merged[0] else 0, used_day if day == merged[0] else 0)
    merged[3] = max(local[3] if local[2] == merged[2] else 0, used_month if month == merged[2] else 0)
    return merged


class _Caps:
    __slots__ = ("_offset", "counters")

    def __init__(self, initial: dict[tuple[int, int], CounterState], offset: int) -> None:
        self.counters: dict[tuple[int, int], list[int]] = {k: list(v) for k, v in initial.items()}
        self._offset = offset

    def rebase(self, fresh: dict[tuple[int, int], CounterState], offset: int) -> None:
        self._offset = offset
        for key, state in fresh.items():
            local = self.counters.get(key)
            self.counters[key] = list(state) if local is None else _merge(local, state)

    def _state(
        self, limits: CapLimits, offer_id: int, webmaster_id: int, ts: float
    ) -> tuple[list[int], int, int]:
        key = (offer_id, webmaster_id if limits.per_webmaster else SHARED)
        day = day_index(ts, self._offset)
        month = month_index(day)
        state = self.counters.get(key)
        if state is None:
            state = self.counters[key] = [day, 0, month, 0, 0]
        return state, day, month

    def available(self, limits: CapLimits, offer_id: int, webmaster_id: int, ts: float) -> bool:
        state, day, month = self._state(limits, offer_id, webmaster_id, ts)
        used_day = state[1] if day <= state[0] else 0
        used_month = state[3] if month <= state[2] else 0
        return not (
            (limits.daily >= 0 and used_day >= limits.daily)
            or (limits.monthly >= 0 and used_month >= limits.monthly)
            or (limits.total >= 0 and state[4] >= limits.total)
        )

    def reserve(self, limits: CapLimits, offer_id: int, webmaster_id: int, ts: float) -> bool:
        if not self.available(limits, offer_id, webmaster_id, ts):
            return False
        state, day, month = self._state(limits, offer_id, webmaster_id, ts)
        if day > state[0]:
            state[0], state[1] = day, 0
        if month > state[2]:
            state[2], state[3] = month, 0
        state[1] += 1
        state[3] += 1
        state[4] += 1
        return True

    def release(self, limits: CapLimits, offer_id: int, webmaster_id: int, ts: float) -> None:
        state, day, month = self._state(limits, offer_id, webmaster_id, ts)
        if day == state[0] and state[1] > 0:
            state[1] -= 1
        if month == state[2] and state[3] > 0:
            state[3] -= 1
        if state[4] > 0:
            state[4] -= 1

    def usage(self, limits: CapLimits, offer_id: int, webmaster_id: int, ts: float) -> CapUsage:
        state, day, month = self._state(limits, offer_id, webmaster_id, ts)
        return CapUsage(state[1] if day <= state[0] else 0, state[3] if month <= state[2] else 0, state[4])


class Engine:
    """Decides clicks on one network's snapshot and keeps that network's fraud state and cap counters."""

    def __init__(self, snapshot: Snapshot, *, seed: int = 0) -> None:
        self._seed = seed
        self._draws = 0
        self._snap = snapshot
        self._install_fraud_state(snapshot)
        self._install_ua_cache(snapshot)
        self._click_caps = _Caps(snapshot.click_counters, snapshot.utc_offset_s)
        self._conversion_caps = _Caps(snapshot.conversion_counters, snapshot.utc_offset_s)

    def _install_fraud_state(self, snapshot: Snapshot) -> None:
        fraud = snapshot.fraud
        self._duplicates = DuplicateTable(fraud.duplicate_slots)
        self._ips = VelocityTable(fraud.ip_slots)
        self._subs = VelocityTable(fraud.sub_slots)

    def _install_ua_cache(self, snapshot: Snapshot) -> None:
        self._ua = UaCache(snapshot.bots, snapshot.fraud.ua_cache_size)

    @property
    def snapshot(self) -> Snapshot:
        return self._snap

    def swap_snapshot(self, snapshot: Snapshot) -> None:
        """Decide on ``snapshot`` from now on. Duplicate and velocity state is kept unless the table sizes
        changed, the UA cache unless the bot list or its size changed; cap counters are merged per period (the
        larger of local and freshly counted)."""
        old, new = self._snap.fraud, snapshot.fraud
        self._click_caps.rebase(snapshot.click_counters, snapshot.utc_offset_s)
        self._conversion_caps.rebase(snapshot.conversion_counters, snapshot.utc_offset_s)
        if (old.duplicate_slots, old.ip_slots, old.sub_slots) != (
            new.duplicate_slots,
            new.ip_slots,
            new.sub_slots,
        ):
            self._install_fraud_state(snapshot)
        if old.ua_cache_size != new.ua_cache_size or self._snap.bots is not snapshot.bots:
            self._install_ua_cache(snapshot)
        self._snap = snapshot

    # -- caps ---------------------------------------------------------------------------------------------

    def _limits(self, offer_id: int, conversion: bool) -> CapLimits | None:
        offer = self._snap.offers.get(offer_id)
        if offer is None:
            raise KeyError(offer_id)
        return offer.conversion_cap if conversion else offer.click_cap

    def reserve_click(self, offer_id: int, webmaster_id: int, ts: float) -> bool:
        limits = self._limits(offer_id, False)
        return limits is None or self._click_caps.reserve(limits, offer_id, webmaster_id, ts)

    def release_click(self, offer_id: int, webmaster_id: int, ts: float) -> None:
        limits = self._limits(offer_id, False)
        if limits is not None:
            self._click_caps.release(limits, offer_id, webmaster_id, ts)

    def reserve_conversion(self, offer_id: int, webmaster_id: int, ts: float) -> bool:
        limits = self._limits(offer_id, True)
        return limits is None or self._conversion_caps.reserve(limits, offer_id, webmaster_id, ts)

    def release_conversion(self, offer_id: int, webmaster_id: int, ts: float) -> None:
        limits = self._limits(offer_id, True)
        if limits is not None:
            self._conversion_caps.release(limits, offer_id, webmaster_id, ts)

    def click_usage(self, offer_id: int, webmaster_id: int, ts: float) -> CapUsage:
        limits = self._limits(offer_id, False)
        return (
            CapUsage(0, 0, 0)
            if limits is None
            else self._click_caps.usage(limits, offer_id, webmaster_id, ts)
        )

    def conversion_usage(self, offer_id: int, webmaster_id: int, ts: float) -> CapUsage:
        limits = self._limits(offer_id, True)
        if limits is None:
            return CapUsage(0, 0, 0)
        return self._conversion_caps.usage(limits, offer_id, webmaster_id, ts)

    # -- fraud --------------------------------------------------------------------------------------------

    def check_fraud(self, click: Click) -> FraudVerdict:
        """The verdict of ``click``; counts it in the duplicate and velocity state."""
        snap = self._snap
        fraud = snap.fraud
        flags = 0
        ip = parse_ip(click.ip)
        if ip < 0:
            flags |= FraudFlag.INVALID_IP
            ip = 0
        elif not (snap.ip_allow and snap.ip_allow.contains(ip)):
            if snap.ip_block and snap.ip_block.contains(ip):
                flags |= FraudFlag.BLOCKED_IP
            if snap.datacenter and snap.datacenter.contains(ip):
                flags |= FraudFlag.DATACENTER_IP
        ua = click.user_agent
        if not ua:
            flags |= FraudFlag.EMPTY_UA
        elif self._ua.is_bot(ua):
            flags |= FraudFlag.BOT_UA
        if snap.sub_block:
            for sub in click.subs:
                if sub and sub in snap.sub_block and sub not in snap.sub_allow:
                    flags |= FraudFlag.BLOCKED_SUB
                    break
        if snap.referrer_block and click.referrer:
            host = referrer_host(click.referrer)
            if domain_listed(host, snap.referrer_block) and not domain_listed(host, snap.referrer_allow):
                flags |= FraudFlag.BLOCKED_REFERRER
        wm = click.webmaster_id
        if wm in snap.webmaster_block and wm not in snap.webmaster_allow:
            flags |= FraudFlag.BLOCKED_WEBMASTER
        hi, lo = ip >> 64, ip & MASK64
        key = fold(fold(fold(TAG_DUPLICATE, hi), lo), hash(ua))
        key = finish(fold(fold(fold(key, click.target_id), wm), 1 if click.smartlink else 0))
        age = self._duplicates.hit(key, click.ts, fraud.duplicate_window_s)
        if age >= 0.0:
            flags |= FraudFlag.DUPLICATE_CLICK
        ip_count = self._ips.hit(finish(fold(fold(TAG_IP, hi), lo)), click.ts, fraud.ip_velocity_window_s)
        if ip_count > fraud.ip_velocity_limit:
            flags |= FraudFlag.VELOCITY_IP
        sub_count = 0
        sub1 = click.subs[0] if click.subs else ""
        if sub1:
            sub_key = finish(fold(fold(TAG_SUB, wm), text_hash(sub1)))
            sub_count = self._subs.hit(sub_key, click.ts, fraud.sub_velocity_window_s)
            if sub_count > fraud.sub_velocity_limit:
                flags |= FraudFlag.VELOCITY_SUB
        return FraudVerdict(flags == 0, int(flags), score_of(flags), ip_count, sub_count, age)

    def state_stats(self) -> dict[str, int]:
        """Tracked keys per table, their fixed capacities and the fixed bytes of the tables."""
        fraud = self._snap.fraud
        return {
            "duplicate_keys": self._duplicates.occupied,
            "duplicate_slots": self._duplicates.slots,
            "ip_keys": self._ips.occupied,
            "ip_slots": self._ips.slots,
            "sub_keys": self._subs.occupied,
            "sub_slots": self._subs.slots,
            "ua_cache": len(self._ua),
            "ua_cache_size": fraud.ua_cache_size,
            "state_bytes": state_bytes(fraud.duplicate_slots, fraud.ip_slots, fraud.sub_slots),
        }

    # -- matching -----------------------------------------------------------------------------------------

    def _ineligible(self, offer: CompiledOffer, click: Click) -> Reason | None:
        if not offer.active:
            return Reason.OFFER_INACTIVE
        if not offer.public and (offer.id, click.webmaster_id) not in self._snap.approvals:
            return Reason.NO_ACCESS
        if offer.countries and click.country not in offer.countries:
            return Reason.GEO_MISMATCH
        if offer.devices and click.device not in offer.devices:
            return Reason.DEVICE_MISMATCH
        if offer.os and click.os not in offer.os:
            return Reason.OS_MISMATCH
        if offer.schedule is not None:
            weekday, hour = weekday_hour(click.ts, self._snap.utc_offset_s)
            if not offer.schedule[weekday] >> hour & 1:
                return Reason.SCHEDULE_CLOSED
        return None

    def _webmaster_reason(self, webmaster_id: int) -> Reason | None:
        if webmaster_id in self._snap.banned_webmasters:
            return Reason.WEBMASTER_BLOCKED
        if webmaster_id in self._snap.inactive_webmasters:
            return Reason.WEBMASTER_INACTIVE
        return None

    def _render(self, segments: Segments, click: Click, values: dict[int, str]) -> str:
        out: list[str] = []
        subs = click.subs
        for seg in segments:
            if isinstance(seg, str):
                out.append(seg)
                continue
            if seg in values:
                value = values[seg]
            elif 1 <= seg <= 10:
                value = subs[seg - 1] if seg <= len(subs) else ""
            else:
                value = (
                    click.click_id,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    str(click.webmaster_id),
                    click.country,
                    click.device,
                    click.os,
                    click.ip,
                    "",
                    click.source,
                    click.creative_id,
                    "",
                )[seg]
            if value:
                out.append(encode_value(value))
        return "".join(out)

    def _trafficback(
        self, offer: CompiledOffer | None, click: Click, reason: Reason, verdict: FraudVerdict
    ) -> Decision:
        segments = (
            offer.trafficback
            if offer is not None and offer.trafficback is not None
            else self._snap.trafficback
        )
        offer_value = "" if click.smartlink else str(click.target_id)
        url = "" if segments is None else self._render(segments, click, {M_OFFER_ID: offer_value})
        return Decision(url, True, reason, None if offer is None else offer.id, None, None, verdict)

    def _route(self, offer: CompiledOffer, click: Click, verdict: FraudVerdict) -> Decision:
        landing: CompiledLanding = offer.default_landing
        if click.landing_id is not None:
            landing = offer.landings.get(click.landing_id, landing)
        deep = ""
        if click.deep_link:
            deep = safe_deep_link(click.deep_link, landing.deep_hosts, landing.deep_suffixes) or ""
        if deep and not landing.has_deep_macro:
            url = deep
        else:
            values = {M_OFFER_ID: str(offer.id), M_LANDING_ID: str(landing.id), M_DEEP_LINK: deep}
            url = self._render(landing.segments, click, values)
        terms: int | None = None
        wm, ts = click.webmaster_id, click.ts
        for effective, version, webmasters in offer.terms_specific:
            if effective <= ts and wm in webmasters:
                terms = version
                break
        else:
            for effective, version in offer.terms_general:
                if effective <= ts:
                    terms = version
                    break
        return Decision(url, False, Reason.OK, offer.id, landing.id, terms, verdict)

    def _decide_smartlink(self, click: Click, verdict: FraudVerdict) -> Decision:
        snap = self._snap
        entries = snap.smartlinks.get(click.target_id)
        if entries is None:
            return self._trafficback(None, click, Reason.SMARTLINK_UNKNOWN, verdict)
        wm_reason = self._webmaster_reason(click.webmaster_id)
        if wm_reason is not None:
            return self._trafficback(None, click, wm_reason, verdict)
        eligible: list[tuple[CompiledOffer, int]] = []
        total = 0
        for offer_id, weight in entries:
            offer = snap.offers.get(offer_id)
            if offer is None or self._ineligible(offer, click) is not None:
                continue
            cap = offer.click_cap
            if cap is not None and not self._click_caps.available(
                cap, offer.id, click.webmaster_id, click.ts
            ):
                continue
            eligible.append((offer, weight))
            total += weight
        if not eligible:
            return self._trafficback(None, click, Reason.NO_ELIGIBLE_OFFER, verdict)
        rand = click.rand
        if rand is None:
            rand = splitmix_uniform(self._seed, self._draws)
            self._draws += 1
        point = rand * total
        chosen = eligible[-1][0]
        acc = 0
        for offer, weight in eligible:
            acc += weight
            if point < acc:
                chosen = offer
                break
        if chosen.click_cap is not None:
            self._click_caps.reserve(chosen.click_cap, chosen.id, click.webmaster_id, click.ts)
        return self._route(chosen, click, verdict)

    def decide(self, click: Click) -> Decision:
        verdict = self.check_fraud(click)
        if click.smartlink:
            return self._decide_smartlink(click, verdict)
        offer = self._snap.offers.get(click.target_id)
        if offer is None:
            return self._trafficback(None, click, Reason.OFFER_UNKNOWN, verdict)
        reason = self._webmaster_reason(click.webmaster_id) or self._ineligible(offer, click)
        if reason is None:
            cap = offer.click_cap
            if cap is not None and not self._click_caps.reserve(cap, offer.id, click.webmaster_id, click.ts):
                reason = Reason.CAP_REACHED
        if reason is not None:
            return self._trafficback(offer, click, reason, verdict)
        return self._route(offer, click, verdict)

    def decide_batch(self, clicks: Sequence[Click]) -> list[Decision]:
        """``decide`` on each click in order (state carries from one click to the next)."""
        decide = self.decide
        return [decide(click) for click in clicks]

    def decide_many(self, clicks: Sequence[Click]) -> BatchResult:
        """``decide_batch`` as a struct-of-arrays BatchResult (ids must fit in a signed 64-bit integer)."""
        return BatchResult(self.decide_batch(clicks))


__all__ = ["BatchResult", "Engine"]
