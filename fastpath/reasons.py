"""Reason codes of the matcher and fraud flags with their score weights (shared by both engines)."""

from __future__ import annotations

from enum import IntFlag, StrEnum


class Reason(StrEnum):
    """Why a click went where it went; ``ok`` means it reached an offer."""

    OK = "ok"
    OFFER_UNKNOWN = "offer_unknown"
    SMARTLINK_UNKNOWN = "smartlink_unknown"
    NO_ELIGIBLE_OFFER = "no_eligible_offer"
    WEBMASTER_BLOCKED = "webmaster_blocked"
    WEBMASTER_INACTIVE = "webmaster_inactive"
    OFFER_INACTIVE = "offer_inactive"
    NO_ACCESS = "no_access"
    GEO_MISMATCH = "geo_mismatch"
    DEVICE_MISMATCH = "device_mismatch"
    OS_MISMATCH = "os_mismatch"
    SCHEDULE_CLOSED = "schedule_closed"
    CAP_REACHED = "cap_reached"


class FraudFlag(IntFlag):
    """One bit per fraud signal; a verdict is valid when no bit is set."""

    NONE = 0
    BOT_UA = 1
    EMPTY_UA = 2
    DATACENTER_IP = 4
    INVALID_IP = 8
    BLOCKED_IP = 16
    BLOCKED_SUB = 32
    BLOCKED_REFERRER = 64
    BLOCKED_WEBMASTER = 128
    DUPLICATE_CLICK = 256
    VELOCITY_IP = 512
    VELOCITY_SUB = 1024


# Score = min(100, sum of the weights of the set flags). Staff lists are an explicit human decision, so they
# score 100 alone; list-based GIVT signals (bot UA, data centre) are strong; counters are weaker because a
# NAT or a busy placement can trip them honestly.
SCORE_WEIGHTS: dict[FraudFlag, int] = {
    FraudFlag.BOT_UA: 90,
    FraudFlag.EMPTY_UA: 50,
    FraudFlag.DATACENTER_IP: 60,
    FraudFlag.INVALID_IP: 80,
    FraudFlag.BLOCKED_IP: 100,
    FraudFlag.BLOCKED_SUB: 100,
    FraudFlag.BLOCKED_REFERRER: 100,
    FraudFlag.BLOCKED_WEBMASTER: 100,
    FraudFlag.DUPLICATE_CLICK: 40,
    FraudFlag.VELOCITY_IP: 70,
    FraudFlag.VELOCITY_SUB: 50,
}

# Indexed by bit position, so both engines compute the score with plain integer loops.
WEIGHT_BY_BIT: tuple[int, ...] = tuple(
    SCORE_WEIGHTS[FraudFlag(1 << bit)] for bit in range(len(SCORE_WEIGHTS))
)


def score_of(flags: int) -> int:
    """Score of a flag set: the capped sum of the weights of its bits."""
    total = 0
    for bit, weight in enumerate(WEIGHT_BY_BIT):
        if flags >> bit & 1:
            total += weight
    return min(100, total)
