"""Referral earnings: what a webmaster's referred webmasters have earned them, from the ledger's postings."""

from __future__ import annotations

from network.conversions.tables import Conversion
from network.ledger import accounts as ledger_accounts
from network.ledger.tables import LedgerTransaction, Posting
from network.money import from_minor
from network.principal import Principal


async def referral_earnings(
    principal: Principal, referred: list[int], referrer_id: int | None = None
) -> dict[int, list[tuple[str, str]]]:
    """What each referred webmaster's conversions have posted to the referrer's own accounts (pending and
    available; docs/money.md "Referral levels"), per currency: the commissions they earned the referrer, net
    of any rejection or reversal. The referrer is the calling webmaster unless ``referrer_id`` names one (the
    caller has checked it may read that webmaster). Read by the referrals page and the API."""
    referrer = referrer_id if referrer_id is not None else principal.webmaster_id
    assert referrer is not None
    if not referred:
        return {}
    mine = [ledger_accounts.wm_pending(referrer), ledger_accounts.wm_available(referrer)]
    placeholders = ", ".join("{}" for _ in referred)
    # Only table names and placeholders reach the text; every value is bound.
    sql = (
        f"SELECT c.webmaster AS webmaster, p.currency AS currency, SUM(p.amount) AS amount "  # noqa: S608
        f"FROM {Posting._meta.tablename} p "
        f"JOIN {LedgerTransaction._meta.tablename} t ON t.id = p.txn "
        f"JOIN {Conversion._meta.tablename} c ON c.id = t.conversion "
        "WHERE p.network = {} AND t.network = {} AND c.network = {} AND p.account IN ({}, {}) "
        f"AND c.webmaster IN ({placeholders}) GROUP BY c.webmaster, p.currency ORDER BY p.currency"
    )
    network = principal.network_id
    rows = await Posting.raw(sql, network, network, network, *mine, *referred)
    earned: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        amount = from_minor(int(row["amount"]), row["currency"])
        earned.setdefault(int(row["webmaster"]), []).append((row["currency"], str(amount)))
    return earned
