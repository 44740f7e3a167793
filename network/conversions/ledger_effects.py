"""What a conversion's status means in the ledger, and the postings that bring the ledger there.

The ledger state of a conversion is a pure function of its status and amounts (``target``). Every transition
posts the difference between that target and what has been posted so far, so approve, reject, re-hold and
reverse are all the same operation, each one balanced and idempotent: a transition that changes nothing
posts nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from network import jsoncol
from network.ledger import accounts
from network.ledger.repository import Leg

Row = dict[str, Any]
EARNING = frozenset({"pending", "hold"})


def commissions(row: Row) -> list[tuple[int, int, int]]:
    return [(int(w), int(level), int(amount)) for w, level, amount in jsoncol.load(row["commissions"]) or []]


def target(row: Row) -> list[Leg]:
    status = row["status"]
    if not row["billable"] or status not in EARNING | {"approved"}:
        return []
    currency, payout, revenue = row["currency"], int(row["payout"]), int(row["revenue"])
    earn = accounts.wm_available if status == "approved" else accounts.wm_pending
    legs = [
        Leg(accounts.adv_prepaid(int(row["advertiser"])), currency, -revenue),
        Leg(accounts.REVENUE, currency, revenue),
        Leg(accounts.PAYOUT_COST, currency, -payout),
        Leg(earn(int(row["webmaster"])), currency, payout),
    ]
    for referrer, _level, amount in commissions(row):
        legs += [Leg(accounts.COMMISSION_COST, currency, -amount), Leg(earn(referrer), currency, amount)]
    return legs


def difference(wanted: Iterable[Leg], posted: Iterable[Leg]) -> list[Leg]:
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for leg in wanted:
        totals[leg.account, leg.currency] += leg.amount
    for leg in posted:
        totals[leg.account, leg.currency] -= leg.amount
    return [
        Leg(account, currency, amount) for (account, currency), amount in sorted(totals.items()) if amount
    ]
