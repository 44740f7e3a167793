from piccolo.columns import BigInt, BigSerial, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from network.accounts.tables import Webmaster
from network.tenants.tables import Network


class LedgerTransaction(Table):
    """One balanced set of postings. ``idempotency_key`` is unique per network: posting the same business
    event twice is impossible."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=24)
    idempotency_key = Varchar(length=128)
    conversion = BigInt(null=True, default=None, index=True)
    withdrawal = BigInt(null=True, default=None)
    memo = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Posting(Table):
    """One leg of a transaction, in minor units; credit-positive: a party's balance is what the network
    owes it. Append-only."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    txn = ForeignKey(references=LedgerTransaction, on_delete=OnDelete.restrict, index=True)
    account = Varchar(length=64, index=True)
    currency = Varchar(length=3)
    amount = BigInt()
    created_at = Timestamptz(default=TimestamptzNow())


class PayoutBatch(Table):
    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=12, default="open")
    note = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    paid_at = Timestamptz(null=True, default=None)


class Withdrawal(Table):
    """A webmaster's request to be paid. requested -> approved (into a batch) -> paid, or rejected."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, index=True)
    amount = BigInt()
    currency = Varchar(length=3)
    status = Varchar(length=12, default="requested")
    reason = Varchar(length=1000, default="")
    details = Text(default="")
    batch = BigInt(null=True, default=None, index=True)
    requested_at = Timestamptz(default=TimestamptzNow())
    approved_at = Timestamptz(null=True, default=None)
    paid_at = Timestamptz(null=True, default=None)
