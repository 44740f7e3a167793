"""Compile one network's database state into the plain ``fastpath.SnapshotSpec`` the click engine runs on.

Built off the hot path; the caller builds a ``fastpath.Snapshot`` from it and swaps it in atomically.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastpath import (
    CapSpec,
    FraudSettings,
    LandingSpec,
    OfferSpec,
    ScheduleSpec,
    SnapshotSpec,
    TargetingSpec,
    TermsPin,
)
from network import jsoncol
from network.accounts.tables import Webmaster, WebmasterGroupMember
from network.conversions import caps as cap_usage
from network.lists import service as traffic_lists
from network.offers.tables import Landing, Offer, OfferAccess, OfferCap
from network.tenants import repository as tenants
from network.terms import resolution
from network.terms.tables import TermsVersion
from network.tracking import repository as tracking

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_PER_WEEK = 7 * 24


def _offset_hours(tz_name: str, at: float) -> int:
    offset = datetime.fromtimestamp(at, ZoneInfo(tz_name)).utcoffset()
    # Whole hours: schedules are hour masks, so a half-hour zone opens on the hour before.
    return int(offset.total_seconds() // 3600) if offset is not None else 0


def schedule_spec(schedule: Mapping[str, Any] | None, network_tz: str, at: float) -> ScheduleSpec | None:
    """An offer's open hours (in its own time zone) as seven masks in the network's time zone."""
    if not schedule or not schedule.get("hours"):
        return None
    hours: Mapping[str, Sequence[int]] = schedule["hours"]
    open_offer = {d * 24 + h for d, day in enumerate(WEEKDAYS) for h in hours.get(day, ())}
    delta = _offset_hours(schedule.get("timezone", "UTC"), at) - _offset_hours(network_tz, at)
    masks = [0] * 7
    for slot in range(HOURS_PER_WEEK):
        if (slot + delta) % HOURS_PER_WEEK in open_offer:
            masks[slot // 24] |= 1 << (slot % 24)
    return ScheduleSpec((masks[0], masks[1], masks[2], masks[3], masks[4], masks[5], masks[6]))


def targeting_spec(raw: Mapping[str, Any], network_tz: str, at: float) -> TargetingSpec:
    return TargetingSpec(
        countries=frozenset(raw.get("countries", ())),
        devices=frozenset(raw.get("devices", ())),
        os=frozenset(raw.get("os", ())),
        schedule=schedule_spec(raw.get("schedule"), network_tz, at),
    )


Usage = Mapping[tuple[int, str, str, int], int]


def cap_spec(rows: Iterable[Mapping[str, Any]], metric: str, usage: Usage | None = None) -> CapSpec | None:
    """Limits of one metric, with the usage already counted for the current periods.

    Click caps count on each click node from the snapshot's start (see docs/clicks.md, "Caps"); conversion
    usage comes from the conversions' own reservations (network/conversions/caps.py).
    """
    rows = list(rows)
    limits: dict[str, int] = {}
    per_webmaster = False
    for row in rows:
        if row["metric"] == metric:
            limits[row["period"]] = int(row["limit_value"])
            per_webmaster = per_webmaster or row["scope"] == "per_webmaster"
    used = dict(usage or {})
    if not limits:
        return None
    offer_id = int(rows[0].get("offer", 0))
    by_webmaster: dict[int, tuple[int, int, int]] = {}
    if per_webmaster:
        for (offer, m, period, wm), value in used.items():
            if offer == offer_id and m == metric and wm:
                d, mo, t = by_webmaster.get(wm, (0, 0, 0))
                by_webmaster[wm] = (
                    value if period == "daily" else d,
                    value if period == "monthly" else mo,
                    value if period == "total" else t,
                )
    return CapSpec(
        daily=limits.get("daily"),
        monthly=limits.get("monthly"),
        total=limits.get("total"),
        per_webmaster=per_webmaster,
        used_daily=used.get((offer_id, metric, "daily", 0), 0),
        used_monthly=used.get((offer_id, metric, "monthly", 0), 0),
        used_total=used.get((offer_id, metric, "total", 0), 0),
        used_by_webmaster=by_webmaster,
    )


def exhausted(rows: Iterable[Mapping[str, Any]], usage: Usage) -> frozenset[str]:
    """Periods in which a shared conversion or budget cap of the offer is used up."""
    full = set()
    for row in rows:
        if row["metric"] in {"conversions", "budget"} and row["scope"] == "shared":
            key = (int(row["offer"]), str(row["metric"]), str(row["period"]), 0)
            if usage.get(key, 0) >= int(row["limit_value"]):
                full.add(str(row["period"]))
    return frozenset(full)


def click_caps(rows: Sequence[Mapping[str, Any]], usage: Usage) -> CapSpec | None:
    """The offer's click caps, with a limit of zero for every period whose conversion or budget cap is used
    up: its clicks go to trafficback (``cap_reached``) on every node until the period ends."""
    spec = cap_spec(rows, "clicks")
    full = exhausted(rows, usage)
    if not full:
        return spec
    base = spec or CapSpec()
    return replace(
        base,
        daily=0 if "daily" in full else base.daily,
        monthly=0 if "monthly" in full else base.monthly,
        total=0 if "total" in full else base.total,
    )


def terms_pins(
    versions: Sequence[Mapping[str, Any]], members: Mapping[int, set[int]]
) -> tuple[TermsPin, ...]:
    """Pins that make fastpath choose exactly what ``network.terms.resolution.in_force`` chooses.

    fastpath knows two levels (pins for a set of webmasters, then pins for everyone, newest first). Group and
    private-deal versions are therefore expanded into each affected webmaster's timeline: at every moment a
    version takes effect, the version in force for that webmaster from then on.
    """
    rows = [dict(v) for v in versions]
    general = tuple(
        TermsPin(int(r["id"]), r["effective_from"].timestamp(), None) for r in rows if r["scope"] == "offer"
    )
    affected: set[int] = set()
    for r in rows:
        if r["scope"] == "webmaster":
            affected.add(int(r["webmaster"]))
        elif r["scope"] == "group":
            affected |= members.get(int(r["group"]), set())
    moments = sorted({r["effective_from"] for r in rows})
    timeline: dict[tuple[float, int], set[int]] = defaultdict(set)
    groups_of: dict[int, list[int]] = defaultdict(list)
    for group_id, wms in members.items():
        for wm in wms:
            groups_of[wm].append(group_id)
    for wm in affected:
        for moment in moments:
            row = resolution.in_force(rows, wm, groups_of[wm], moment)
            if row is not None:
                timeline[(moment.timestamp(), int(row["id"]))].add(wm)
    specific = tuple(TermsPin(v, t, frozenset(wms)) for (t, v), wms in sorted(timeline.items()))
    return specific + general


async def load_spec(
    tenant_id: int, *, at: float | None = None, fraud: FraudSettings | None = None
) -> SnapshotSpec:
    """Read everything the click engine needs for one network."""
    at = time.time() if at is None else at
    network = await tenants.get(tenant_id=tenant_id)
    if network is None:
        raise LookupError(f"no network {tenant_id}")
    tz = str(network["timezone"])
    offers = await Offer.select().where((Offer.network == tenant_id) & (Offer.status != "archived"))
    landings: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await Landing.select().where(Landing.network == tenant_id).order_by(Landing.id):
        landings[int(row["offer"])].append(row)
    caps: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await OfferCap.select().where(OfferCap.network == tenant_id):
        caps[int(row["offer"])].append(row)
    versions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        await TermsVersion.select().where(TermsVersion.network == tenant_id).order_by(TermsVersion.number)
    ):
        versions[int(row["offer"])].append(row)
    members: dict[int, set[int]] = defaultdict(set)
    for row in await WebmasterGroupMember.select().where(WebmasterGroupMember.network == tenant_id):
        members[int(row["group"])].add(int(row["webmaster"]))
    approvals = await OfferAccess.select(OfferAccess.offer, OfferAccess.webmaster).where(
        (OfferAccess.network == tenant_id) & (OfferAccess.status == "approved")
    )
    webmasters = await Webmaster.select(Webmaster.id, Webmaster.status).where(Webmaster.network == tenant_id)
    usage = await cap_usage.usage(tenant_id=tenant_id, at=datetime.fromtimestamp(at, UTC), timezone=tz)
    # Active smartlinks only: a paused or unknown one is ``smartlink_unknown``. Their offers are checked click
    # by click (access, status, targeting, caps), so an archived offer here is simply skipped.
    smartlinks = await tracking.active_entries(tenant_id=tenant_id)
    lists = await traffic_lists.lists_spec(tenant_id)
    specs = []
    for offer in offers:
        pages = landings.get(int(offer["id"]), [])
        if not pages:
            continue
        default = next((p for p in pages if p["is_default"]), pages[0])
        specs.append(
            OfferSpec(
                id=int(offer["id"]),
                landings=tuple(
                    LandingSpec(
                        int(p["id"]), p["url_template"], frozenset(jsoncol.load(p["deep_link_hosts"]))
                    )
                    for p in pages
                ),
                default_landing_id=int(default["id"]),
                active=offer["status"] == "active",
                # Every webmaster joins first (public offers approve at once), so access always comes from
                # approvals: a revoked webmaster cannot keep sending traffic to a public offer.
                public=False,
                currency=offer["currency"],
                trafficback_url=offer["trafficback_url"] or None,
                targeting=targeting_spec(jsoncol.load(offer["targeting"]) or {}, tz, at),
                click_caps=click_caps(caps.get(int(offer["id"]), []), usage),
                conversion_caps=cap_spec(caps.get(int(offer["id"]), []), "conversions", usage),
                terms=terms_pins(versions.get(int(offer["id"]), []), members),
            )
        )
    return SnapshotSpec(
        network_id=tenant_id,
        offers=tuple(specs),
        approvals=frozenset((int(a["offer"]), int(a["webmaster"])) for a in approvals),
        banned_webmasters=frozenset(int(w["id"]) for w in webmasters if w["status"] == "banned"),
        inactive_webmasters=frozenset(int(w["id"]) for w in webmasters if w["status"] == "pending"),
        smartlinks={k: tuple(v) for k, v in smartlinks.items()},
        lists=lists,
        trafficback_url=network["trafficback_url"] or None,
        tz_name=tz,
        counted_at=at,
        fraud=fraud or FraudSettings(),
    )
