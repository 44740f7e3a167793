"""Releasing holds: every conversion whose hold has ended becomes approved and its payout payable.

Idempotent: each release is a conditional transition (``hold`` -> ``approved``), so two runs, or two workers,
approve a conversion once. Time-zone safe: ``hold_until`` is an absolute instant computed at conversion time
in the network's time zone (see pricing.hold_until), and compared with an aware UTC now.
Conversions held for a full cap or an empty advertiser balance have no ``hold_until``: people decide those,
except that a balance hold moves to the normal hold once the advertiser's prepaid balance covers it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from network.audit import service as audit
from network.conversions import lifecycle, policy
from network.conversions.pricing import hold_until
from network.conversions.tables import Conversion
from network.ledger import accounts
from network.ledger import repository as ledger
from network.transaction import atomic

BATCH = 500


async def release_due(now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    due = (
        await Conversion.select(Conversion.id, Conversion.network)
        .where(
            (Conversion.status == "hold")
            & Conversion.hold_until.is_not_null()
            & (Conversion.hold_until <= now)
        )
        .order_by(Conversion.hold_until)
        .limit(BATCH)
    )
    released = 0
    for row in due:
        async with atomic():
            done = await lifecycle.transition(
                tenant_id=int(row["network"]),
                conversion_id=int(row["id"]),
                to="approved",
                reason="hold_released",
                comment="the hold period ended",
                actor=None,
                expect="hold",
            )
        released += done is not None
    return released


async def recheck_balance_holds() -> int:
    """Conversions held because the advertiser's balance was short go on to their normal hold (or approval)
    once the balance covers them, oldest first."""
    held = (
        await Conversion.select()
        .where((Conversion.status == "hold") & (Conversion.reason == "advertiser_balance"))
        .order_by(Conversion.id)
        .limit(BATCH)
    )
    moved = 0
    for row in held:
        async with atomic():
            account = accounts.adv_prepaid(int(row["advertiser"]))
            # The held conversion is already posted against the balance: it is covered when the balance is
            # not negative.
            balance = (await ledger.balances(tenant_id=int(row["network"]), accounts=[account])).get(
                (account, row["currency"]), 0
            )
            if balance < 0:
                continue
            _finance, net = await policy.load(int(row["network"]))
            until = hold_until(row["created_at"], int(row["hold_days"]), net["timezone"])
            now = datetime.now(UTC)
            if until <= now:
                approved = await lifecycle.transition(
                    tenant_id=int(row["network"]),
                    conversion_id=int(row["id"]),
                    to="approved",
                    reason="balance_funded",
                    actor=None,
                    expect="hold",
                )
                moved += approved is not None
            else:
                moved += await _rehold(row, until)
    return moved


async def _rehold(row: dict[str, Any], until: datetime) -> bool:
    updated = (
        await Conversion.update({Conversion.reason: "balance_funded", Conversion.hold_until: until})
        .where(
            (Conversion.id == row["id"])
            & (Conversion.status == "hold")
            & (Conversion.reason == "advertiser_balance")
        )
        .returning(Conversion.id)
    )
    if updated:
        await lifecycle.record_event(
            {**row, "reason": "balance_funded"},
            from_status="hold",
            reason="balance_funded",
            comment=f"the advertiser's balance covers it now; normal hold until {until.isoformat()}",
            actor=None,
        )
        await audit.record(
            network_id=int(row["network"]),
            actor=None,
            entity="conversion",
            entity_id=int(row["id"]),
            action="conversion.hold",
            before={"reason": "advertiser_balance", "hold_until": None},
            after={"reason": "balance_funded", "hold_until": until.isoformat()},
            reason="advertiser balance funded",
        )
    return bool(updated)
