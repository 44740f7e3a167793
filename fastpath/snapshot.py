"""``build_snapshot``: compile a ``SnapshotSpec`` into the immutable structure both engines use.

Build it off the hot path (a worker thread or process of network/), then hand it to the engine with
``engine.swap_snapshot(new)`` from the thread that decides: a decision then sees either the old or the new
snapshot, never a mix. Nothing in a Snapshot is mutated after the build.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import NamedTuple

from fastpath.botua import BotMatcher
from fastpath.data_sources import bundled_datacenter_ranges, crawler_user_agent_patterns
from fastpath.macros import M_DEEP_LINK, Segments, compile_template
from fastpath.netaddr import IntervalSet, parse_cidr
from fastpath.spec import CapSpec, FraudSettings, OfferSpec, SnapshotSpec
from fastpath.timeutil import day_index, month_index, resolve_utc_offset

SHARED = -1  # webmaster key of a shared (not per-webmaster) cap counter
UNLIMITED = -1

# (day index, used that day, month index, used that month, used in total)
CounterState = tuple[int, int, int, int, int]


class CompiledLanding(NamedTuple):
    id: int
    segments: Segments
    deep_hosts: frozenset[str]
    deep_suffixes: tuple[str, ...]
    has_deep_macro: bool


class CapLimits(NamedTuple):
    daily: int
    monthly: int
    total: int
    per_webmaster: bool


class CompiledOffer(NamedTuple):
    """Field order is part of the contract: the compiled engine reads these tuples by position."""

    id: int
    active: bool
    public: bool
    countries: frozenset[str]
    devices: frozenset[str]
    os: frozenset[str]
    schedule: tuple[int, ...] | None
    landings: dict[int, CompiledLanding]
    default_landing: CompiledLanding
    trafficback: Segments | None
    terms_specific: tuple[tuple[float, int, frozenset[int]], ...]  # newest first
    terms_general: tuple[tuple[float, int], ...]  # newest first
    click_cap: CapLimits | None
    conversion_cap: CapLimits | None
    currency: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    network_id: int
    offers: dict[int, CompiledOffer]
    approvals: frozenset[tuple[int, int]]
    banned_webmasters: frozenset[int]
    inactive_webmasters: frozenset[int]
    smartlinks: dict[int, tuple[tuple[int, int], ...]]
    trafficback: Segments | None
    ip_block: IntervalSet
    ip_allow: IntervalSet
    datacenter: IntervalSet
    sub_block: frozenset[str]
    sub_allow: frozenset[str]
    referrer_block: frozenset[str]
    referrer_allow: frozenset[str]
    webmaster_block: frozenset[int]
    webmaster_allow: frozenset[int]
    fraud: FraudSettings
    utc_offset_s: int
    click_counters: dict[tuple[int, int], CounterState]
    conversion_counters: dict[tuple[int, int], CounterState]
    bots: BotMatcher
    build_seconds: float
    native: object = None  # the compiled engine's Prepared tables, made here so that swaps stay cheap


def _native_prepare() -> Callable[[Snapshot], object] | None:
    if os.environ.get("FASTPATH_NO_EXTENSIONS") == "1":
        return None
    try:
        module = importlib.import_module("fastpath._engine_c")
    except ImportError:  # not built: only the twin will use this snapshot
        return None
    prepare: Callable[[Snapshot], object] = module.prepare
    return prepare


@cache
def _default_bots() -> BotMatcher:
    return BotMatcher(crawler_user_agent_patterns())


@cache
def _default_datacenter() -> IntervalSet:
    return IntervalSet.from_ranges(bundled_datacenter_ranges())


# The table built from the last ``datacenter_ranges`` tuple: a node builds every network's snapshot from the
# same tuple (its range files), so they share one table instead of each merging the ranges again.
_last_datacenter: list[tuple[tuple[tuple[int, int], ...], IntervalSet]] = []


def _datacenter(ranges: tuple[tuple[int, int], ...] | None) -> IntervalSet:
    if ranges is None:
        return _default_datacenter()
    last = _last_datacenter[:1]
    if last and last[0][0] is ranges:
        return last[0][1]
    table = IntervalSet.from_ranges(ranges)
    _last_datacenter[:] = [(ranges, table)]
    return table


def _limits(cap: CapSpec | None) -> CapLimits | None:
    if cap is None or (cap.daily is None and cap.monthly is None and cap.total is None):
        return None

    def norm(v: int | None) -> int:
        return UNLIMITED if v is None else v

    return CapLimits(norm(cap.daily), norm(cap.monthly), norm(cap.total), cap.per_webmaster)


def _counters(
    offer_id: int, cap: CapSpec | None, day: int, month: int, out: dict[tuple[int, int], CounterState]
) -> None:
    if _limits(cap) is None or cap is None:
        return
    if cap.per_webmaster:
        for wm, (d, m, t) in cap.used_by_webmaster.items():
            out[(offer_id, wm)] = (day, d, month, m, t)
    else:
        out[(offer_id, SHARED)] = (day, cap.used_daily, month, cap.used_monthly, cap.used_total)


def _landing(spec_id: int, template: str, hosts: frozenset[str]) -> CompiledLanding:
    segments = compile_template(template)
    lowered = frozenset(h.lower() for h in hosts)
    return CompiledLanding(
        spec_id,
        segments,
        frozenset(h for h in lowered if not h.startswith(".")),
        tuple(sorted(h for h in lowered if h.startswith("."))),
        M_DEEP_LINK in segments,
    )


def compile_offer(offer: OfferSpec) -> CompiledOffer:
    landings = {lp.id: _landing(lp.id, lp.url_template, lp.deep_link_hosts) for lp in offer.landings}
    if offer.default_landing_id not in landings:
        raise ValueError(
            f"offer {offer.id}: default landing {offer.default_landing_id} is not one of its landings"
        )
    targeting = offer.targeting
    specific = sorted(
        (
            (p.effective_from, p.terms_version_id, p.webmaster_ids)
            for p in offer.terms
            if p.webmaster_ids is not None
        ),
        key=lambda p: (-p[0], -p[1]),
    )
    general = sorted(
        ((p.effective_from, p.terms_version_id) for p in offer.terms if p.webmaster_ids is None),
        key=lambda p: (-p[0], -p[1]),
    )
    return CompiledOffer(
        offer.id,
        offer.active,
        offer.public,
        frozenset(c.upper() for c in targeting.countries),
        frozenset(d.lower() for d in targeting.devices),
        frozenset(o.lower() for o in targeting.os),
        None if targeting.schedule is None else tuple(targeting.schedule.week),
        landings,
        landings[offer.default_landing_id],
        None if offer.trafficback_url is None else compile_template(offer.trafficback_url),
        tuple((eff, tv, frozenset(wms)) for eff, tv, wms in specific if wms is not None),
        tuple(general),
        _limits(offer.click_caps),
        _limits(offer.conversion_caps),
        offer.currency,
    )


def _check_fraud_settings(fraud: FraudSettings) -> None:
    windows = (fraud.duplicate_window_s, fraud.ip_velocity_window_s, fraud.sub_velocity_window_s)
    if not all(w > 0 for w in windows):
        raise ValueError(f"fraud windows must be positive: {windows}")
    if min(fraud.ip_velocity_limit, fraud.sub_velocity_limit) < 0:
        raise ValueError("fraud velocity limits must be >= 0")
    if min(fraud.duplicate_slots, fraud.ip_slots, fraud.sub_slots, fraud.ua_cache_size) < 1:
        raise ValueError("fraud table slots and the UA cache size must be >= 1")


def build_snapshot(spec: SnapshotSpec) -> Snapshot:
    """Compile ``spec``. Raises ValueError on inconsistent input (unknown default landing, bad CIDR, fraud
    settings out of range)."""
    started = time.perf_counter()
    _check_fraud_settings(spec.fraud)
    offset = resolve_utc_offset(spec.tz_name, spec.utc_offset_s, spec.counted_at)
    day = day_index(spec.counted_at, offset)
    month = month_index(day)
    offers: dict[int, CompiledOffer] = {}
    click_counters: dict[tuple[int, int], CounterState] = {}
    conversion_counters: dict[tuple[int, int], CounterState] = {}
    for offer in spec.offers:
        offers[offer.id] = compile_offer(offer)
        _counters(offer.id, offer.click_caps, day, month, click_counters)
        _counters(offer.id, offer.conversion_caps, day, month, conversion_counters)
    lists = spec.lists
    datacenter = _datacenter(spec.datacenter_ranges)
    bots = _default_bots() if spec.bot_patterns is None else BotMatcher(spec.bot_patterns)
    for cidr in lists.blocked_ips + lists.allowed_ips:
        parse_cidr(cidr)
    snapshot = Snapshot(
        network_id=spec.network_id,
        offers=offers,
        approvals=frozenset(spec.approvals),
        banned_webmasters=frozenset(spec.banned_webmasters),
        inactive_webmasters=frozenset(spec.inactive_webmasters),
        smartlinks={k: tuple((o, w) for o, w in v if w > 0) for k, v in spec.smartlinks.items()},
        trafficback=None if spec.trafficback_url is None else compile_template(spec.trafficback_url),
        ip_block=IntervalSet.from_cidrs(lists.blocked_ips),
        ip_allow=IntervalSet.from_cidrs(lists.allowed_ips),
        datacenter=datacenter,
        sub_block=frozenset(lists.blocked_subs),
        sub_allow=frozenset(lists.allowed_subs),
        referrer_block=frozenset(d.lower().lstrip(".") for d in lists.blocked_referrer_domains),
        referrer_allow=frozenset(d.lower().lstrip(".") for d in lists.allowed_referrer_domains),
        webmaster_block=frozenset(lists.blocked_webmasters),
        webmaster_allow=frozenset(lists.allowed_webmasters),
        fraud=spec.fraud,
        utc_offset_s=offset,
        click_counters=click_counters,
        conversion_counters=conversion_counters,
        bots=bots,
        build_seconds=0.0,
    )
    prepare = _native_prepare()
    native = None if prepare is None else prepare(snapshot)
    return replace(snapshot, native=native, build_seconds=time.perf_counter() - started)
