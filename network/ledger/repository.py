"""Every query of the ledger. Insert-only: the database refuses UPDATE and DELETE on both tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Sum

from network.ledger.tables import LedgerTransaction, Posting

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Leg:
    account: str
    currency: str
    amount: int


class UnbalancedError(ValueError):
    """A transaction whose postings do not sum to zero in every currency: a bug, never user input."""


def check_balanced(legs: Sequence[Leg]) -> None:
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        totals[leg.currency] += leg.amount
    unbalanced = {c: t for c, t in totals.items() if t != 0}
    if unbalanced or not legs:
        raise UnbalancedError(f"postings must sum to zero per currency: {unbalanced or 'no postings'}")


async def post(
    *,
    tenant_id: int,
    kind: str,
    key: str,
    legs: Sequence[Leg],
    conversion_id: int | None = None,
    withdrawal_id: int | None = None,
    memo: str = "",
) -> int | None:
    """Write one balanced transaction; None if ``key`` was already posted (idempotent). Call inside
    ``atomic()`` with the business change it records."""
    legs = [leg for leg in legs if leg.amount != 0]
    if not legs:
        return None
    check_balanced(legs)
    # The unique (network, idempotency_key) index makes a second posting of the same key a no-op.
    rows = (
        await LedgerTransaction.insert(
            LedgerTransaction(
                network=tenant_id,
                kind=kind,
                idempotency_key=key,
                conversion=conversion_id,
                withdrawal=withdrawal_id,
                memo=memo[:500],
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(LedgerTransaction.id)
    )
    if not rows:
        return None
    txn_id = int(rows[0]["id"])
    await Posting.insert(
        *[
            Posting(
                network=tenant_id, txn=txn_id, account=leg.account, currency=leg.currency, amount=leg.amount
            )
            for leg in legs
        ]
    )
    return txn_id


async def conversion_legs(*, tenant_id: int, conversion_id: int) -> list[Leg]:
    """Every posting made so far for one conversion (accrual, release, commissions, earlier reversals)."""
    txns = await LedgerTransaction.select(LedgerTransaction.id).where(
        (LedgerTransaction.network == tenant_id) & (LedgerTransaction.conversion == conversion_id)
    )
    ids = [int(t["id"]) for t in txns]
    if not ids:
        return []
    rows = await Posting.select(Posting.account, Posting.currency, Posting.amount).where(
        (Posting.network == tenant_id) & Posting.txn.is_in(ids)
    )
    return [Leg(r["account"], r["currency"], int(r["amount"])) for r in rows]


async def balances(*, tenant_id: int, accounts: Iterable[str]) -> dict[tuple[str, str], int]:
    """(account, currency) -> balance in minor units. Read from ``account_balance``, which the database keeps
    equal to the sums of the postings in the same transaction as each posting (a trigger on posting; see the
    ledger migration of 2026-12-02): O(shards) instead of a scan of every posting of the account.
    ``verify_balances`` checks it against the postings."""
    wanted = list(accounts)
    if not wanted:
        return {}
    marks = ", ".join("{}" for _ in wanted)
    # Only "{}" placeholders are formatted in: the values go as parameters.
    where = f'"network" = {{}} AND "account" IN ({marks})'
    rows = await Posting.raw(
        'SELECT "account", "currency", SUM("balance") AS "total" FROM "account_balance" WHERE '  # noqa: S608
        + where
        + ' GROUP BY "account", "currency"',
        tenant_id,
        *wanted,
    )
    return {(r["account"], r["currency"]): int(r["total"] or 0) for r in rows}


async def cached_balances(*, tenant_id: int) -> dict[tuple[str, str], int]:
    """Every (account, currency) of the network as ``account_balance`` holds it."""
    rows = await Posting.raw(
        'SELECT "account", "currency", SUM("balance") AS "total" FROM "account_balance" '
        'WHERE "network" = {} GROUP BY "account", "currency"',
        tenant_id,
    )
    return {(r["account"], r["currency"]): int(r["total"] or 0) for r in rows}


async def verify_balances(*, tenant_id: int) -> dict[tuple[str, str], tuple[int, int]]:
    """The accounts whose kept balance differs from the sum of their postings: (kept, summed). Empty when
    the cache is right (the tests and the postback bench call it; so can an operator)."""
    kept = await cached_balances(tenant_id=tenant_id)
    summed = await all_balances(tenant_id=tenant_id)
    return {
        key: (kept.get(key, 0), summed.get(key, 0))
        for key in kept.keys() | summed.keys()
        if kept.get(key, 0) != summed.get(key, 0)
    }


async def all_balances(*, tenant_id: int) -> dict[tuple[str, str], int]:
    rows = (
        await Posting.select(Posting.account, Posting.currency, Sum(Posting.amount).as_alias("total"))
        .where(Posting.network == tenant_id)
        .group_by(Posting.account, Posting.currency)
    )
    return {(r["account"], r["currency"]): int(r["total"] or 0) for r in rows}


async def postings(
    *, tenant_id: int, account_prefix: str | None = None, limit: int = 100, offset: int = 0
) -> list[Row]:
    query = Posting.select(
        Posting.id,
        Posting.txn,
        Posting.account,
        Posting.currency,
        Posting.amount,
        Posting.created_at,
        Posting.txn.kind.as_alias("kind"),
        Posting.txn.conversion.as_alias("conversion"),
        Posting.txn.withdrawal.as_alias("withdrawal"),
        Posting.txn.memo.as_alias("memo"),
    ).where(Posting.network == tenant_id)
    if account_prefix is not None:
        query = query.where(Posting.account.like(account_prefix + "%"))
    rows: list[Row] = await query.order_by(Posting.id, ascending=False).limit(limit).offset(offset)
    return rows


async def all_postings(*, tenant_id: int) -> list[Row]:
    rows: list[Row] = await Posting.select(
        Posting.txn, Posting.account, Posting.currency, Posting.amount
    ).where(Posting.network == tenant_id)
    return rows
