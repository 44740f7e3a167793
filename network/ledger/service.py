"""Money use cases: balances, the readable ledger, advertiser deposits, withdrawals and payout batches.

Balances are never stored: they are sums of postings (network/ledger/accounts.py has the accounts and their
signs). A withdrawal moves money from ``available`` to ``in_flight`` when requested; rejecting it moves it
back, paying it moves it out to ``net:cash``. Every change writes its postings, its status and an audit row
in one transaction.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from piccolo.query.methods.select import Select

from network.accounts import repository as accounts_repo
from network.accounts.tables import Advertiser, Webmaster
from network.audit import service as audit
from network.conversions import policy as finance
from network.errors import ConflictError, InvalidTransitionError, NotFoundError, ValidationError
from network.ledger import accounts, csv_export
from network.ledger import repository as repo
from network.ledger.repository import Leg
from network.ledger.schemas import (
    AdvertiserBalanceOut,
    BalanceOut,
    DepositIn,
    DepositOut,
    LedgerEntryOut,
    NetworkBalanceOut,
    PayoutBatchDetailOut,
    PayoutBatchOut,
    RejectIn,
    TotalOut,
    WebmasterBalanceOut,
    WithdrawalIn,
    WithdrawalOut,
)
from network.ledger.tables import LedgerTransaction, PayoutBatch, Posting, Withdrawal
from network.money import from_minor, to_minor
from network.pagination import Page
from network.principal import Principal, Role
from network.tenants.tables import Network
from network.transaction import atomic
from rules.money import UnknownCurrencyError, minor_units

Row = dict[str, Any]
NETWORK_ACCOUNTS = {
    "revenue": accounts.REVENUE,
    "payout_cost": accounts.PAYOUT_COST,
    "commission_cost": accounts.COMMISSION_COST,
    "cash": accounts.CASH,
}


def now() -> datetime:
    return datetime.now(UTC)


def money(minor: int, currency: str) -> str:
    return str(from_minor(minor, currency))


def positive_minor(amount: str, currency: str) -> int:
    try:
        minor_units(currency)
    except UnknownCurrencyError as exc:
        raise ValidationError(f"currency: {currency} is not a supported currency", field="currency") from exc
    minor = to_minor(amount, currency)
    if minor <= 0:
        raise ValidationError("amount: must be greater than zero", field="amount")
    return minor


def _currencies(sums: Iterable[tuple[str, str]], home: str) -> list[str]:
    # The network's currency always shows, with zeros, so a new account reads "0.00 USD" rather than nothing.
    others = sorted({currency for _, currency in sums} - {home})
    return [home, *others]


def _locked(query: Select[Any]) -> Select[Any]:
    # SQLite has one writer at a time (atomic() begins IMMEDIATE); PostgreSQL needs the row lock. NO KEY
    # UPDATE leaves inserts that reference the row alone (their foreign-key checks take KEY SHARE).
    if query.table._meta.db.engine_type == "postgres":
        return query.lock_rows("NO KEY UPDATE")
    return query


async def _payout_lock(tenant_id: int) -> None:
    """Serialise approvals, rejections and payments within a network: one open batch, no lost updates."""
    await _locked(Network.select(Network.id).where(Network.id == tenant_id))


# Balances and the ledger


async def balance(principal: Principal) -> BalanceOut:
    tenant_id = principal.network_id
    _, network = await finance.load(tenant_id)
    home = network["currency"]
    if principal.role == Role.WEBMASTER:
        assert principal.webmaster_id is not None
        wm = principal.webmaster_id
        names = {
            "pending": accounts.wm_pending(wm),
            "available": accounts.wm_available(wm),
            "in_flight": accounts.wm_in_flight(wm),
        }
        sums = await repo.balances(tenant_id=tenant_id, accounts=names.values())
        return BalanceOut(
            webmaster=[
                WebmasterBalanceOut(
                    webmaster_id=wm,
                    currency=c,
                    **{field: money(sums.get((name, c), 0), c) for field, name in names.items()},
                )
                for c in _currencies(sums, home)
            ]
        )
    if principal.role == Role.ADVERTISER:
        assert principal.advertiser_id is not None
        name = accounts.adv_prepaid(principal.advertiser_id)
        sums = await repo.balances(tenant_id=tenant_id, accounts=[name])
        return BalanceOut(
            advertiser=[
                AdvertiserBalanceOut(
                    advertiser_id=principal.advertiser_id,
                    currency=c,
                    prepaid=money(sums.get((name, c), 0), c),
                )
                for c in _currencies(sums, home)
            ]
        )
    sums = await repo.balances(tenant_id=tenant_id, accounts=NETWORK_ACCOUNTS.values())
    out = []
    for c in _currencies(sums, home):
        values = {field: sums.get((name, c), 0) for field, name in NETWORK_ACCOUNTS.items()}
        margin = values["revenue"] + values["payout_cost"] + values["commission_cost"]
        out.append(
            NetworkBalanceOut(
                currency=c,
                margin=money(margin, c),
                **{field: money(value, c) for field, value in values.items()},
            )
        )
    return BalanceOut(network=out)


def _own_prefix(principal: Principal) -> str | None:
    if principal.role == Role.WEBMASTER:
        return f"wm:{principal.webmaster_id}:"
    if principal.role == Role.ADVERTISER:
        return f"adv:{principal.advertiser_id}:"
    return None


async def ledger(
    principal: Principal, *, account: str | None, limit: int, offset: int
) -> Page[LedgerEntryOut]:
    """Postings newest first: a party sees its own accounts only; staff see all, or an account prefix."""
    own = _own_prefix(principal)
    prefix = account
    if own is not None:
        if account is None:
            prefix = own
        elif not account.startswith(own):
            raise ValidationError(f"account: you can read your own accounts only ({own}...)", field="account")
    tenant_id = principal.network_id
    rows = await repo.postings(tenant_id=tenant_id, account_prefix=prefix, limit=limit, offset=offset)
    where: Any = Posting.network == tenant_id
    if prefix is not None:
        where &= Posting.account.like(prefix + "%")
    total = await Posting.count().where(where)
    items = [
        LedgerEntryOut(
            id=r["id"],
            transaction_id=r["txn"],
            kind=r["kind"],
            account=r["account"],
            currency=r["currency"],
            amount=money(int(r["amount"]), r["currency"]),
            memo=r["memo"],
            conversion_id=r["conversion"],
            withdrawal_id=r["withdrawal"],
            created_at=r["created_at"],
        )
        for r in rows
    ]
    return Page(items, total, limit, offset)


# Deposits


async def _posted_legs(tenant_id: int, key: str) -> tuple[int, list[tuple[str, str, int]]] | None:
    txn = (
        await LedgerTransaction.select(LedgerTransaction.id)
        .where((LedgerTransaction.network == tenant_id) & (LedgerTransaction.idempotency_key == key))
        .first()
    )
    if txn is None:
        return None
    rows = await Posting.select(Posting.account, Posting.currency, Posting.amount).where(
        (Posting.network == tenant_id) & (Posting.txn == txn["id"])
    )
    return int(txn["id"]), sorted((r["account"], r["currency"], int(r["amount"])) for r in rows)


async def deposit(principal: Principal, advertiser_id: int, data: DepositIn) -> DepositOut:
    """Credit an advertiser's prepaid balance with money received; ``reference`` makes a retry harmless."""
    tenant_id = principal.network_id
    currency = data.currency
    minor = positive_minor(data.amount, currency)
    prepaid = accounts.adv_prepaid(advertiser_id)
    legs = [Leg(accounts.CASH, currency, -minor), Leg(prepaid, currency, minor)]
    key = f"deposit:{advertiser_id}:{data.reference}" if data.reference else f"deposit:{uuid.uuid4().hex}"
    memo = " - ".join(part for part in (f"ref {data.reference}" if data.reference else "", data.note) if part)
    async with atomic():
        # The advertiser row lock makes two deposits with one reference wait for each other on PostgreSQL.
        found = await _locked(
            Advertiser.select(Advertiser.id).where(
                (Advertiser.network == tenant_id) & (Advertiser.id == advertiser_id)
            )
        )
        if not found:
            raise NotFoundError("advertiser not found")
        txn_id = await repo.post(tenant_id=tenant_id, kind="deposit", key=key, legs=legs, memo=memo)
        duplicate = txn_id is None
        if txn_id is None:
            posted = await _posted_legs(tenant_id, key)
            assert posted is not None
            txn_id, before = posted
            if before != sorted((leg.account, leg.currency, leg.amount) for leg in legs):
                raise ConflictError(
                    f"reference {data.reference} was already used for a different deposit", field="reference"
                )
        else:
            await audit.record(
                network_id=tenant_id,
                actor=principal,
                entity="advertiser",
                entity_id=advertiser_id,
                action="ledger.deposit",
                after={
                    "transaction_id": txn_id,
                    "amount": money(minor, currency),
                    "currency": currency,
                    "reference": data.reference,
                },
                reason=data.note,
            )
    sums = await repo.balances(tenant_id=tenant_id, accounts=[prepaid])
    return DepositOut(
        transaction_id=txn_id,
        advertiser_id=advertiser_id,
        amount=money(minor, currency),
        currency=currency,
        reference=data.reference,
        note=data.note,
        duplicate=duplicate,
        prepaid=money(sums.get((prepaid, currency), 0), currency),
    )


# Withdrawals


def seconds_between(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds(), 3)


def withdrawal_out(row: Row) -> WithdrawalOut:
    return WithdrawalOut(
        id=row["id"],
        webmaster_id=row["webmaster"],
        amount=money(int(row["amount"]), row["currency"]),
        currency=row["currency"],
        status=row["status"],
        reason=row["reason"],
        details=row["details"],
        batch_id=row["batch"],
        requested_at=row["requested_at"],
        approved_at=row["approved_at"],
        paid_at=row["paid_at"],
        seconds_to_paid=seconds_between(row["requested_at"], row["paid_at"]),
    )


async def _withdrawal(tenant_id: int, withdrawal_id: int, *, lock: bool = False) -> Row:
    query = Withdrawal.select().where((Withdrawal.network == tenant_id) & (Withdrawal.id == withdrawal_id))
    rows = await (_locked(query) if lock else query)
    if not rows:
        raise NotFoundError("withdrawal not found")
    row: Row = rows[0]
    return row


async def request_withdrawal(principal: Principal, data: WithdrawalIn) -> WithdrawalOut:
    """Set aside part of the available balance for payment: any amount above the network's minimum."""
    assert principal.webmaster_id is not None
    tenant_id, wm = principal.network_id, principal.webmaster_id
    policy, network = await finance.load(tenant_id)
    currency = data.currency or network["currency"]
    minor = positive_minor(data.amount, currency)
    # The minimum is set in the network's currency; there are no exchange rates to apply it to others.
    minimum = Decimal(policy.min_withdrawal)
    if currency == network["currency"] and Decimal(data.amount) < minimum:
        raise ValidationError(
            f"amount: the smallest withdrawal is {minimum} {currency}",
            field="amount",
            min_withdrawal=str(minimum),
        )
    available, in_flight = accounts.wm_available(wm), accounts.wm_in_flight(wm)
    async with atomic():
        # Read the balance under the webmaster's lock: two requests at once cannot both spend it.
        await _locked(
            Webmaster.select(Webmaster.id).where((Webmaster.network == tenant_id) & (Webmaster.id == wm))
        )
        have = (await repo.balances(tenant_id=tenant_id, accounts=[available])).get((available, currency), 0)
        if minor > have:
            raise ConflictError(
                f"insufficient funds: {money(max(have, 0), currency)} {currency} available, "
                f"{money(minor, currency)} {currency} requested",
                available=money(have, currency),
                requested=money(minor, currency),
                currency=currency,
            )
        rows = await Withdrawal.insert(
            Withdrawal(
                network=tenant_id,
                webmaster=wm,
                amount=minor,
                currency=currency,
                details=data.details,
                requested_at=now(),
            )
        ).returning(Withdrawal.id)
        withdrawal_id = int(rows[0]["id"])
        await repo.post(
            tenant_id=tenant_id,
            kind="withdrawal",
            key=f"withdrawal:{withdrawal_id}:requested",
            legs=[Leg(available, currency, -minor), Leg(in_flight, currency, minor)],
            withdrawal_id=withdrawal_id,
            memo=f"withdrawal {withdrawal_id} requested",
        )
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="withdrawal",
            entity_id=withdrawal_id,
            action="withdrawal.requested",
            after={
                "status": "requested",
                "webmaster_id": wm,
                "amount": money(minor, currency),
                "currency": currency,
            },
        )
    return withdrawal_out(await _withdrawal(tenant_id, withdrawal_id))


async def list_withdrawals(
    principal: Principal, *, status: str | None, webmaster_id: int | None, limit: int, offset: int
) -> Page[WithdrawalOut]:
    """A webmaster's own withdrawals; staff see every webmaster's, newest first."""
    where: Any = Withdrawal.network == principal.network_id
    if principal.role == Role.WEBMASTER:
        webmaster_id = principal.webmaster_id
    if webmaster_id is not None:
        where &= Withdrawal.webmaster == webmaster_id
    if status is not None:
        where &= Withdrawal.status == status
    rows = (
        await Withdrawal.select()
        .where(where)
        .order_by(Withdrawal.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total = await Withdrawal.count().where(where)
    return Page([withdrawal_out(r) for r in rows], total, limit, offset)


async def _open_batch(principal: Principal) -> int:
    """The network's open payout batch, created on first use. Call under ``_payout_lock``."""
    tenant_id = principal.network_id
    row = (
        await PayoutBatch.select(PayoutBatch.id)
        .where((PayoutBatch.network == tenant_id) & (PayoutBatch.status == "open"))
        .order_by(PayoutBatch.id)
        .first()
    )
    if row is not None:
        return int(row["id"])
    rows = await PayoutBatch.insert(PayoutBatch(network=tenant_id, status="open")).returning(PayoutBatch.id)
    batch_id = int(rows[0]["id"])
    await audit.record(
        network_id=tenant_id,
        actor=principal,
        entity="payout_batch",
        entity_id=batch_id,
        action="payout_batch.opened",
        after={"status": "open"},
    )
    return batch_id


def _refuse(row: Row, action: str, allowed: list[str]) -> None:
    if row["status"] not in allowed:
        states = " or ".join(allowed)
        raise InvalidTransitionError(
            f"withdrawal {row['id']} is {row['status']}: only a {states} withdrawal can be {action}",
            current_status=row["status"],
        )


async def approve(principal: Principal, withdrawal_id: int) -> WithdrawalOut:
    """Accept a requested withdrawal for payment: it joins the open payout batch."""
    tenant_id = principal.network_id
    async with atomic():
        await _payout_lock(tenant_id)
        row = await _withdrawal(tenant_id, withdrawal_id, lock=True)
        _refuse(row, "approved", ["requested"])
        batch_id = await _open_batch(principal)
        await Withdrawal.update(
            {Withdrawal.status: "approved", Withdrawal.batch: batch_id, Withdrawal.approved_at: now()}
        ).where((Withdrawal.network == tenant_id) & (Withdrawal.id == withdrawal_id))
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="withdrawal",
            entity_id=withdrawal_id,
            action="withdrawal.approved",
            before={"status": row["status"]},
            after={"status": "approved", "batch_id": batch_id},
        )
    return withdrawal_out(await _withdrawal(tenant_id, withdrawal_id))


async def reject(principal: Principal, withdrawal_id: int, data: RejectIn) -> WithdrawalOut:
    """Refuse a withdrawal not yet paid (also out of an open batch): the money returns to available."""
    reason = data.reason.strip()
    if not reason:
        raise ValidationError(
            "reason: say why the withdrawal is rejected; the webmaster sees it", field="reason"
        )
    tenant_id = principal.network_id
    async with atomic():
        await _payout_lock(tenant_id)
        row = await _withdrawal(tenant_id, withdrawal_id, lock=True)
        _refuse(row, "rejected", ["requested", "approved"])
        wm, currency, minor = int(row["webmaster"]), row["currency"], int(row["amount"])
        await Withdrawal.update(
            {Withdrawal.status: "rejected", Withdrawal.reason: reason, Withdrawal.batch: None}
        ).where((Withdrawal.network == tenant_id) & (Withdrawal.id == withdrawal_id))
        await repo.post(
            tenant_id=tenant_id,
            kind="withdrawal_rejected",
            key=f"withdrawal:{withdrawal_id}:rejected",
            legs=[
                Leg(accounts.wm_in_flight(wm), currency, -minor),
                Leg(accounts.wm_available(wm), currency, minor),
            ],
            withdrawal_id=withdrawal_id,
            memo=f"withdrawal {withdrawal_id} rejected: {reason}",
        )
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="withdrawal",
            entity_id=withdrawal_id,
            action="withdrawal.rejected",
            before={"status": row["status"], "batch_id": row["batch"]},
            after={"status": "rejected", "batch_id": None},
            reason=reason,
        )
    return withdrawal_out(await _withdrawal(tenant_id, withdrawal_id))


# Payout batches


async def _batch(tenant_id: int, batch_id: int, *, lock: bool = False) -> Row:
    query = PayoutBatch.select().where((PayoutBatch.network == tenant_id) & (PayoutBatch.id == batch_id))
    rows = await (_locked(query) if lock else query)
    if not rows:
        raise NotFoundError("payout batch not found")
    row: Row = rows[0]
    return row


async def _batch_withdrawals(tenant_id: int, batch_ids: list[int]) -> list[Row]:
    if not batch_ids:
        return []
    rows: list[Row] = (
        await Withdrawal.select()
        .where((Withdrawal.network == tenant_id) & Withdrawal.batch.is_in(batch_ids))
        .order_by(Withdrawal.id)
    )
    return rows


def _totals(rows: list[Row]) -> list[TotalOut]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        sums[r["currency"]][0] += int(r["amount"])
        sums[r["currency"]][1] += 1
    return [TotalOut(currency=c, amount=money(s, c), count=n) for c, (s, n) in sorted(sums.items())]


def batch_out(row: Row, withdrawals: list[Row]) -> PayoutBatchOut:
    return PayoutBatchOut(
        id=row["id"],
        status=row["status"],
        note=row["note"],
        created_at=row["created_at"],
        paid_at=row["paid_at"],
        withdrawal_count=len(withdrawals),
        totals=_totals(withdrawals),
    )


async def list_batches(
    principal: Principal, *, status: str | None, limit: int, offset: int
) -> Page[PayoutBatchOut]:
    tenant_id = principal.network_id
    where: Any = PayoutBatch.network == tenant_id
    if status is not None:
        where &= PayoutBatch.status == status
    rows = (
        await PayoutBatch.select()
        .where(where)
        .order_by(PayoutBatch.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total = await PayoutBatch.count().where(where)
    members: dict[int, list[Row]] = defaultdict(list)
    for w in await _batch_withdrawals(tenant_id, [r["id"] for r in rows]):
        members[w["batch"]].append(w)
    return Page([batch_out(r, members[r["id"]]) for r in rows], total, limit, offset)


async def get_batch(principal: Principal, batch_id: int) -> PayoutBatchDetailOut:
    tenant_id = principal.network_id
    row = await _batch(tenant_id, batch_id)
    withdrawals = await _batch_withdrawals(tenant_id, [batch_id])
    summary = batch_out(row, withdrawals)
    items = [withdrawal_out(w) for w in withdrawals]
    waits = [w.seconds_to_paid for w in items if w.seconds_to_paid is not None]
    return PayoutBatchDetailOut(
        id=summary.id,
        status=summary.status,
        note=summary.note,
        created_at=summary.created_at,
        paid_at=summary.paid_at,
        withdrawal_count=summary.withdrawal_count,
        totals=summary.totals,
        withdrawals=items,
        seconds_to_paid_max=max(waits) if waits else None,
        seconds_to_paid_median=statistics.median(waits) if waits else None,
    )


async def batch_csv(principal: Principal, batch_id: int) -> str:
    """The batch as CSV for the payment run (text cells that look like formulas are defused)."""
    tenant_id = principal.network_id
    await _batch(tenant_id, batch_id)
    withdrawals = await _batch_withdrawals(tenant_id, [batch_id])
    names: dict[int, str] = {}
    for wm in {int(w["webmaster"]) for w in withdrawals}:
        found = await accounts_repo.webmaster(tenant_id=tenant_id, webmaster_id=wm)
        names[wm] = found["name"] if found else ""
    return csv_export.render(
        (
            w["id"],
            w["webmaster"],
            names[int(w["webmaster"])],
            money(int(w["amount"]), w["currency"]),
            w["currency"],
            w["details"],
            w["requested_at"].isoformat(),
            w["approved_at"].isoformat() if w["approved_at"] else "",
        )
        for w in withdrawals
    )


async def pay_batch(principal: Principal, batch_id: int) -> PayoutBatchDetailOut:
    """Record that the batch was paid: each withdrawal leaves in_flight for the network's cash."""
    tenant_id = principal.network_id
    async with atomic():
        await _payout_lock(tenant_id)
        row = await _batch(tenant_id, batch_id, lock=True)
        if row["status"] != "open":
            raise InvalidTransitionError(
                f"payout batch {batch_id} is {row['status']}: only an open batch can be paid",
                current_status=row["status"],
            )
        withdrawals = [
            w for w in await _batch_withdrawals(tenant_id, [batch_id]) if w["status"] == "approved"
        ]
        if not withdrawals:
            raise InvalidTransitionError(
                f"payout batch {batch_id} has no withdrawals to pay", current_status=row["status"]
            )
        moment = now()
        for w in withdrawals:
            wm, currency, minor = int(w["webmaster"]), w["currency"], int(w["amount"])
            await repo.post(
                tenant_id=tenant_id,
                kind="withdrawal_paid",
                key=f"withdrawal:{w['id']}:paid",
                legs=[Leg(accounts.wm_in_flight(wm), currency, -minor), Leg(accounts.CASH, currency, minor)],
                withdrawal_id=w["id"],
                memo=f"withdrawal {w['id']} paid in batch {batch_id}",
            )
            await audit.record(
                network_id=tenant_id,
                actor=principal,
                entity="withdrawal",
                entity_id=w["id"],
                action="withdrawal.paid",
                before={"status": "approved"},
                after={"status": "paid", "batch_id": batch_id},
            )
        await Withdrawal.update({Withdrawal.status: "paid", Withdrawal.paid_at: moment}).where(
            (Withdrawal.network == tenant_id)
            & (Withdrawal.batch == batch_id)
            & (Withdrawal.status == "approved")
        )
        await PayoutBatch.update({PayoutBatch.status: "paid", PayoutBatch.paid_at: moment}).where(
            (PayoutBatch.network == tenant_id) & (PayoutBatch.id == batch_id)
        )
        await audit.record(
            network_id=tenant_id,
            actor=principal,
            entity="payout_batch",
            entity_id=batch_id,
            action="payout_batch.paid",
            before={"status": "open"},
            after={
                "status": "paid",
                "withdrawals": len(withdrawals),
                "totals": {t.currency: t.amount for t in _totals(withdrawals)},
            },
        )
    return await get_batch(principal, batch_id)
