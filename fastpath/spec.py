"""Plain, frozen input data for ``build_snapshot``: what network/ supplies for ONE network (tenant)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Per-webmaster counters: webmaster id -> (used today, used this month, used in total).
UsedByWebmaster = Mapping[int, tuple[int, int, int]]


@dataclass(frozen=True, slots=True)
class LandingSpec:
    id: int
    url_template: str
    # Hosts a deep link may point to; ".example.com" also allows every subdomain of example.com.
    deep_link_hosts: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """Open hours: seven 24-bit masks, Monday first, bit h set = open from h:00 to h:59 (network time)."""

    week: tuple[int, int, int, int, int, int, int]

    @classmethod
    def always(cls) -> ScheduleSpec:
        full = (1 << 24) - 1
        return cls((full, full, full, full, full, full, full))


@dataclass(frozen=True, slots=True)
class TargetingSpec:
    countries: frozenset[str] = frozenset()  # ISO 3166 alpha-2, upper case; empty = any
    devices: frozenset[str] = frozenset()  # lower case, e.g. desktop, mobile, tablet; empty = any
    os: frozenset[str] = frozenset()  # lower case, e.g. android, ios, windows; empty = any
    schedule: ScheduleSpec | None = None  # None = always open


@dataclass(frozen=True, slots=True)
class CapSpec:
    """Limits (None = unlimited) and the counters network/ counted up to ``SnapshotSpec.counted_at``."""

    daily: int | None = None
    monthly: int | None = None
    total: int | None = None
    per_webmaster: bool = False
    used_daily: int = 0
    used_monthly: int = 0
    used_total: int = 0
    used_by_webmaster: UsedByWebmaster = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TermsPin:
    terms_version_id: int
    effective_from: float
    webmaster_ids: frozenset[int] | None = None  # None = everyone


@dataclass(frozen=True, slots=True)
class OfferSpec:
    id: int
    landings: tuple[LandingSpec, ...]
    default_landing_id: int
    active: bool = True
    public: bool = False  # public offers need no approval
    currency: str = "USD"
    trafficback_url: str | None = None
    targeting: TargetingSpec = TargetingSpec()
    click_caps: CapSpec | None = None
    conversion_caps: CapSpec | None = None
    terms: tuple[TermsPin, ...] = ()


@dataclass(frozen=True, slots=True)
class ListsSpec:
    """Staff lists. An allow entry beats a block entry of the same kind; an allowed IP also skips the
    data-centre check."""

    blocked_ips: tuple[str, ...] = ()
    allowed_ips: tuple[str, ...] = ()
    blocked_subs: frozenset[str] = frozenset()
    allowed_subs: frozenset[str] = frozenset()
    blocked_referrer_domains: frozenset[str] = frozenset()
    allowed_referrer_domains: frozenset[str] = frozenset()
    blocked_webmasters: frozenset[int] = frozenset()
    allowed_webmasters: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class FraudSettings:
    duplicate_window_s: float = 86400.0
    ip_velocity_window_s: float = 60.0
    ip_velocity_limit: int = 60  # flagged when MORE than this many clicks fall in the window
    sub_velocity_window_s: float = 60.0
    sub_velocity_limit: int = 300
    # Bounded state: slot counts are rounded up to a power of two and at least 4 (one bucket).
    duplicate_slots: int = 1 << 20
    ip_slots: int = 1 << 18
    sub_slots: int = 1 << 16
    ua_cache_size: int = 65536


@dataclass(frozen=True, slots=True)
class SnapshotSpec:
    network_id: int
    offers: tuple[OfferSpec, ...]
    approvals: frozenset[tuple[int, int]] = frozenset()  # (offer_id, webmaster_id)
    banned_webmasters: frozenset[int] = frozenset()
    inactive_webmasters: frozenset[int] = frozenset()
    smartlinks: Mapping[int, tuple[tuple[int, int], ...]] = field(
        default_factory=dict
    )  # id -> (offer, weight)
    lists: ListsSpec = ListsSpec()
    trafficback_url: str | None = None
    fraud: FraudSettings = FraudSettings()
    utc_offset_s: int = 0
    tz_name: str | None = None  # resolved to an offset at ``counted_at`` when set
    counted_at: float = 0.0  # when the cap counters in the CapSpecs were read
    datacenter_ranges: tuple[tuple[int, int], ...] | None = None  # None = the bundled file
    bot_patterns: tuple[str, ...] | None = None  # None = the crawler-user-agents list
