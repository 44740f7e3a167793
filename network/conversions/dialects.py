"""Inbound postback parameters in every dialect users already send, normalised to one shape.

cpanet:  click_id, goal, order_id, sale_amount, currency, status, coupon, lead, offer_id, token
TUNE:    /aff_lsr?transaction_id=&adv_sub=&amount=&security_token=&goal_id=
Everflow: transaction_id, amount, event_id, order_id, verification_token, adv1..adv10
Voluum / BeMob: /postback?cid=&payout=&txid=&status=&currency=
RedTrack: clickid, type, status, sum
Affise:  clickid, action_id (the advertiser's transaction id, the dedup key), goal, sum, status, secure
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# First present name wins; the order puts cpanet's own names first.
ALIASES: dict[str, tuple[str, ...]] = {
    "token": ("token", "security_token", "verification_token", "secure", "key"),
    "click_id": ("click_id", "clickid", "transaction_id", "cid", "subid"),
    "order_id": ("order_id", "adv_sub", "action_id", "txid", "tid", "transactionid", "adv_event_id"),
    "goal": ("goal", "goal_id", "event_id", "type", "event"),
    "sale_amount": ("sale_amount", "amount", "sum", "payout", "revenue"),
    "currency": ("currency",),
    "status": ("status",),
    "coupon": ("coupon", "coupon_code", "promo_code", "promocode"),
    "lead": ("lead", "lead_id", "customer_id", "email_sha256"),
    "offer_id": ("offer_id", "offer"),
    "timestamp": ("timestamp", "ts"),
    "signature": ("signature", "sig"),
}
SECRET_PARAMS = frozenset(ALIASES["token"]) | frozenset(ALIASES["signature"])

# Advertiser status words (and Affise's numeric codes) mapped to what they ask cpanet to do.
STATUS_WORDS: dict[str, str] = {
    "approved": "approve",
    "approve": "approve",
    "confirmed": "approve",
    "sale": "approve",
    "1": "approve",
    "5": "hold",
    "hold": "hold",
    "pending": "pending",
    "lead": "pending",
    "2": "pending",
    "rejected": "reject",
    "reject": "reject",
    "declined": "reject",
    "cancelled": "reject",
    "3": "reject",
    "reversed": "reverse",
    "chargeback": "reverse",
    "refund": "reverse",
}


@dataclass(frozen=True, slots=True)
class PostbackInput:
    dialect: str
    token: str = ""
    click_id: str = ""
    order_id: str = ""
    goal: str = ""
    sale_amount: str = ""
    currency: str = ""
    status: str = ""
    coupon: str = ""
    lead: str = ""
    offer_id: str = ""
    timestamp: str = ""
    signature: str = ""
    adv: dict[str, str] = field(default_factory=dict)


def dialect_of(path: str, params: Mapping[str, str]) -> str:
    if path.endswith("/aff_lsr"):
        return "tune"
    if "verification_token" in params or "adv1" in params:
        return "everflow"
    if "secure" in params or "action_id" in params:
        return "affise"
    if "cid" in params and ("txid" in params or "payout" in params):
        return "voluum"
    if "clickid" in params and "type" in params:
        return "redtrack"
    if path.endswith("/pixel.gif"):
        return "pixel"
    return "cpanet"


def parse(path: str, params: Mapping[str, str]) -> PostbackInput:
    values: dict[str, str] = {}
    for name, aliases in ALIASES.items():
        for alias in aliases:
            value = params.get(alias)
            if value:
                values[name] = value.strip()[:256]
                break
    adv = {f"adv{i}": params[f"adv{i}"][:256] for i in range(1, 11) if params.get(f"adv{i}")}
    return PostbackInput(dialect=dialect_of(path, params), adv=adv, **values)


def requested_status(value: str) -> str | None:
    """What the advertiser asks for (approve, hold, pending, reject, reverse), or None if it said nothing.
    Raises ValueError for a word nobody uses, so the answer can say so."""
    if not value:
        return None
    word = STATUS_WORDS.get(value.strip().lower())
    if word is None:
        raise ValueError(value)
    return word


def loggable(params: Mapping[str, str]) -> dict[str, str]:
    """The parameters as logged and shown to the advertiser: secrets masked, values bounded."""
    return {k[:64]: ("***" if k in SECRET_PARAMS else v[:256]) for k, v in list(params.items())[:60]}
