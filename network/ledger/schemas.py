"""Ledger API schemas. Every amount is a decimal string in the currency's minor unit, never a float."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
# A positive-looking amount as typed by a person: at most 12 integer digits and 4 decimals; the currency's own
# minor unit is checked by the service (0.001 USD is refused, not rounded).
Amount = Annotated[str, msgspec.Meta(pattern=r"^\d{1,12}(\.\d{1,4})?$", examples=["25.00"])]
Reference = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
Note = Annotated[str, msgspec.Meta(max_length=500)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Details = Annotated[str, msgspec.Meta(max_length=2000)]
WithdrawalStatus = Literal["requested", "approved", "paid", "rejected"]
BatchStatus = Literal["open", "paid"]


class WebmasterBalanceOut(msgspec.Struct):
    """One currency of a webmaster: earned but on hold, payable, and requested but not yet paid."""

    webmaster_id: int
    currency: str
    pending: str
    available: str
    in_flight: str


class AdvertiserBalanceOut(msgspec.Struct):
    advertiser_id: int
    currency: str
    prepaid: str


class NetworkBalanceOut(msgspec.Struct):
    """The network's accounts with their ledger signs (docs/money.md): revenue positive, costs negative;
    cash is negative by the deposits received and positive by the payouts sent."""

    currency: str
    revenue: str
    payout_cost: str
    commission_cost: str
    cash: str
    margin: str


class BalanceOut(msgspec.Struct):
    """The caller's balances per currency: a webmaster's, an advertiser's, or (staff) the network's."""

    webmaster: list[WebmasterBalanceOut] = []
    advertiser: list[AdvertiserBalanceOut] = []
    network: list[NetworkBalanceOut] = []


class LedgerEntryOut(msgspec.Struct):
    """One posting: a leg of a balanced transaction, signed from the account's point of view."""

    id: int
    transaction_id: int
    kind: str
    account: str
    currency: str
    amount: str
    memo: str
    conversion_id: int | None
    withdrawal_id: int | None
    created_at: datetime


class DepositIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount
    currency: Currency
    note: Note = ""
    # The payment's id in your bank or PSP: sending it again posts nothing twice.
    reference: Reference | None = None


class DepositOut(msgspec.Struct):
    transaction_id: int
    advertiser_id: int
    amount: str
    currency: str
    reference: str | None
    note: str
    # True when this reference had already been posted: nothing new was written.
    duplicate: bool
    prepaid: str


class WithdrawalIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Amount
    # The network's currency if omitted.
    currency: Currency | None = None
    # Where to send the money (wallet, IBAN, ...), exported as is into the payout batch CSV.
    details: Details = ""


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class WithdrawalOut(msgspec.Struct):
    id: int
    webmaster_id: int
    amount: str
    currency: str
    status: WithdrawalStatus
    reason: str
    details: str
    batch_id: int | None
    requested_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None
    # paid_at - requested_at; null until paid. The seeds promise payment within 24 h (86400 s).
    seconds_to_paid: float | None


class TotalOut(msgspec.Struct):
    currency: str
    amount: str
    count: int


class PayoutBatchOut(msgspec.Struct):
    id: int
    status: BatchStatus
    note: str
    created_at: datetime
    paid_at: datetime | None
    withdrawal_count: int
    totals: list[TotalOut]


class PayoutBatchDetailOut(msgspec.Struct):
    id: int
    status: BatchStatus
    note: str
    created_at: datetime
    paid_at: datetime | None
    withdrawal_count: int
    totals: list[TotalOut]
    withdrawals: list[WithdrawalOut]
    # Request-to-paid time over the batch's paid withdrawals; null until the batch is paid.
    seconds_to_paid_max: float | None
    seconds_to_paid_median: float | None
