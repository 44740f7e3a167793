"""Ledger account names. Credit-positive: a party's balance is what the network owes it (a webmaster's
earnings, an advertiser's prepaid funds); the network's own accounts carry the other side.

- ``wm:{id}:pending``     earned, not yet payable (pending or on hold)
- ``wm:{id}:available``   payable; may go negative after a reversal, and the debt is carried forward
- ``wm:{id}:in_flight``   requested for withdrawal, not yet paid
- ``adv:{id}:prepaid``    the advertiser's prepaid balance
- ``net:revenue``         revenue earned from advertisers
- ``net:payout_cost``     payouts owed to webmasters (negative)
- ``net:commission_cost`` multi-level commissions (negative)
- ``net:cash``            money that left or entered the network's bank (deposits negative, payouts positive)

The network's margin is ``net:revenue + net:payout_cost + net:commission_cost``.
"""

from __future__ import annotations

REVENUE = "net:revenue"
PAYOUT_COST = "net:payout_cost"
COMMISSION_COST = "net:commission_cost"
CASH = "net:cash"


def wm_pending(webmaster_id: int) -> str:
    return f"wm:{webmaster_id}:pending"


def wm_available(webmaster_id: int) -> str:
    return f"wm:{webmaster_id}:available"


def wm_in_flight(webmaster_id: int) -> str:
    return f"wm:{webmaster_id}:in_flight"


def adv_prepaid(advertiser_id: int) -> str:
    return f"adv:{advertiser_id}:prepaid"
