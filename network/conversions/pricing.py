"""Pricing and the checks that come before money: the click's pinned terms version gives payout, revenue,
hold days and the automatic status; fraud flags, the attribution window and click-to-conversion bounds can
only make a conversion non-billable, never more valuable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastpath.reasons import FraudFlag
from network.conversions.attribution import Attributed
from network.conversions.dialects import PostbackInput
from network.conversions.tables import Conversion
from network.errors import DomainError
from network.terms import service as terms
from rules import RuleError

Row = dict[str, Any]

# Fraud flags of a click, most specific first, and the reason code a conversion on it is rejected with.
FRAUD_REASONS: tuple[tuple[int, str], ...] = (
    (FraudFlag.BLOCKED_IP | FraudFlag.BLOCKED_SUB | FraudFlag.BLOCKED_REFERRER, "fraud_blocked"),
    (FraudFlag.BLOCKED_WEBMASTER, "fraud_blocked"),
    (FraudFlag.BOT_UA | FraudFlag.EMPTY_UA, "fraud_bot"),
    (FraudFlag.DATACENTER_IP | FraudFlag.INVALID_IP, "fraud_datacenter"),
    (FraudFlag.VELOCITY_IP | FraudFlag.VELOCITY_SUB, "fraud_velocity"),
    (FraudFlag.DUPLICATE_CLICK, "fraud_duplicate_click"),
)


@dataclass(frozen=True, slots=True)
class Priced:
    payout: Decimal
    revenue: Decimal
    hold_days: int
    rule_status: str | None
    rule_reason: str | None
    ctct_seconds: int
    # Set when the conversion is not billable, whatever the terms say.
    reject_reason: str | None
    reject_detail: str
    # What the rules read (stored with the conversion, so a backtest replays exactly this); None when no
    # rule ran (no terms, a terms error before evaluation).
    context: dict[str, Any] | None = None


def fraud_reason(flags: int) -> str | None:
    for mask, reason in FRAUD_REASONS:
        if flags & mask:
            return reason
    return "fraud" if flags else None


def hold_until(at: datetime, days: int, timezone: str) -> datetime:
    """``days`` calendar days later at the same wall-clock time in the network's time zone, so a DST change
    in between neither advances nor delays the release by an hour."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    naive = local.replace(tzinfo=None) + timedelta(days=days)
    return naive.replace(tzinfo=zone).astimezone(at.tzinfo)


async def _count_this_month(tenant_id: int, offer_id: int, webmaster_id: int, now: datetime, tz: str) -> int:
    local = now.astimezone(ZoneInfo(tz))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(
        await Conversion.count().where(
            (Conversion.network == tenant_id)
            & (Conversion.offer == offer_id)
            & (Conversion.webmaster == webmaster_id)
            & (Conversion.status == "approved")
            & (Conversion.created_at >= start)
        )
    )


def _context(
    a: Attributed,
    data: PostbackInput,
    goal: str,
    sale: Decimal | None,
    now: datetime,
    ctct: int,
    net: dict[str, str],
) -> dict[str, Any]:
    click = a.click or {}
    context: dict[str, Any] = {
        "network": {"timezone": net["timezone"], "currency": net["currency"]},
        "offer": {"id": int(a.offer["id"]), "category": a.offer["category"]},
        "goal": goal,
        "webmaster": {"id": a.webmaster_id},
        "click": {
            "country": click.get("country", ""),
            "device": click.get("device", ""),
            "os": click.get("os", ""),
            "source": click.get("source", ""),
            "time": a.click_at.isoformat(),
            **{f"sub{i}": click.get(f"sub{i}", "") for i in range(1, 11)},
        },
        "conversion": {
            "time": now.isoformat(),
            "currency": data.currency or a.offer["currency"],
            "order_id": data.order_id,
            "ctct_seconds": ctct,
            "params": dict(data.adv),
        },
    }
    if sale is not None:
        context["conversion"]["sale_amount"] = sale
    return context


async def price(
    *,
    tenant_id: int,
    a: Attributed,
    data: PostbackInput,
    goal: str,
    sale: Decimal | None,
    now: datetime,
    net: dict[str, str],
) -> Priced:
    ctct = max(0, int((now - a.click_at).total_seconds())) if a.click is not None else 0
    offer = a.offer
    reject: tuple[str, str] | None = None
    click = a.click
    if click is not None:
        flags = int(click["fraud_flags"])
        if not click["valid"] or flags:
            reason = fraud_reason(flags) or "invalid_click"
            reject = (reason, f"the click was flagged ({click['reason']}, flags {flags}) and is not billable")
        elif now - a.click_at > timedelta(days=int(offer["attribution_window_days"])):
            reject = (
                "click_expired",
                f"the click is older than the {offer['attribution_window_days']}-day window",
            )
        elif offer["min_ctct_seconds"] and ctct < int(offer["min_ctct_seconds"]):
            reject = (
                "below_min_ctct",
                f"{ctct} s from click to conversion; the offer requires at least "
                f"{offer['min_ctct_seconds']} s",
            )
        elif offer["max_ctct_seconds"] and ctct > int(offer["max_ctct_seconds"]):
            reject = (
                "above_max_ctct",
                f"{ctct} s from click to conversion; the offer allows at most {offer['max_ctct_seconds']} s",
            )
    if a.terms_version is None:
        if reject is None:
            reject = ("no_terms", "the offer had no terms in force for this webmaster at click time")
        return Priced(Decimal(0), Decimal(0), 0, None, None, ctct, reject[0], reject[1])
    context = _context(a, data, goal, sale, now, ctct, net)
    try:
        version = await terms.pinned_version(tenant_id=tenant_id, version_id=a.terms_version)
    except DomainError as exc:
        return Priced(Decimal(0), Decimal(0), 0, None, None, ctct, "terms_error", exc.detail[:1000])
    if terms.uses(version, "count_this_month"):
        context["conversion"]["count_this_month"] = await _count_this_month(
            tenant_id, int(offer["id"]), a.webmaster_id, now, net["timezone"]
        )
    try:
        result = await terms.price(tenant_id=tenant_id, version_id=a.terms_version, context=context)
    except (DomainError, RuleError) as exc:
        detail = getattr(exc, "detail", str(exc))
        return Priced(Decimal(0), Decimal(0), 0, None, None, ctct, "terms_error", str(detail)[:1000])
    return Priced(
        result.payout,
        result.revenue,
        result.hold_days,
        result.status,
        result.reason,
        ctct,
        None if reject is None else reject[0],
        "" if reject is None else reject[1],
        context,
    )
