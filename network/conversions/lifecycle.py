"""Status transitions of a conversion: pending -> hold -> approved, or rejected, or reversed.

Each transition is one conditional UPDATE (so two concurrent attempts cannot both apply), the ledger
difference it implies, an append-only history event, an audit row and the outgoing postbacks it triggers,
all in the caller's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from network.audit import service as audit
from network.conversions import ledger_effects
from network.conversions.tables import Conversion, ConversionEvent
from network.errors import InvalidTransitionError, NotFoundError
from network.ledger import repository as ledger
from network.principal import Principal

Row = dict[str, Any]

# Who may move a conversion from where to where. Staff may also override a rejection.
ADVERTISER_MOVES: dict[str, frozenset[str]] = {
    "pending": frozenset({"hold", "approved", "rejected"}),
    "hold": frozenset({"approved", "rejected"}),
    "approved": frozenset({"reversed"}),
}
STAFF_MOVES: dict[str, frozenset[str]] = {
    "pending": frozenset({"hold", "approved", "rejected"}),
    "hold": frozenset({"approved", "rejected", "pending"}),
    "approved": frozenset({"reversed", "hold"}),
    "rejected": frozenset({"pending", "hold", "approved"}),
}
SYSTEM_MOVES = STAFF_MOVES


def allowed(actor: Principal | None, current: str, to: str) -> bool:
    if actor is None:
        table = SYSTEM_MOVES
    elif actor.is_staff:
        table = STAFF_MOVES
    else:
        table = ADVERTISER_MOVES
    return to in table.get(current, frozenset())


async def load(tenant_id: int, conversion_id: int) -> Row:
    row: Row | None = (
        await Conversion.select()
        .where((Conversion.network == tenant_id) & (Conversion.id == conversion_id))
        .first()
    )
    if row is None:
        raise NotFoundError("conversion not found")
    return row


async def settle(row: Row, *, event_id: int, kind: str, new: bool = False) -> None:
    """Post what the ledger is missing for the conversion's current status (nothing if it is settled).
    ``new``: the conversion was created in this transaction, so nothing is posted for it yet."""
    posted = [] if new else await ledger.conversion_legs(tenant_id=row["network"], conversion_id=row["id"])
    legs = ledger_effects.difference(ledger_effects.target(row), posted)
    if legs:
        await ledger.post(
            tenant_id=row["network"],
            kind=kind,
            key=f"conv:{row['id']}:ev:{event_id}",
            legs=legs,
            conversion_id=row["id"],
            memo=f"conversion {row['id']} {row['status']}",
        )


async def record_event(
    row: Row, *, from_status: str, reason: str, comment: str, actor: Principal | None
) -> int:
    rows = await ConversionEvent.insert(
        ConversionEvent(
            network=row["network"],
            conversion=row["id"],
            from_status=from_status,
            to_status=row["status"],
            reason=reason,
            comment=comment[:2000],
            actor_role=actor.role.value if actor else "system",
        )
    ).returning(ConversionEvent.id)
    return int(rows[0]["id"])


async def transition(
    *,
    tenant_id: int,
    conversion_id: int,
    to: str,
    reason: str,
    comment: str = "",
    actor: Principal | None,
    expect: str | None = None,
    hold_until: datetime | None = None,
) -> Row | None:
    """Move one conversion; returns the new row, or None when ``expect`` no longer holds (someone else moved
    it first: the hold release uses this to stay idempotent). Call inside ``atomic()``."""
    row = await load(tenant_id, conversion_id)
    current = row["status"]
    if expect is not None and current != expect:
        return None
    if not allowed(actor, current, to):
        raise InvalidTransitionError(f"a conversion cannot go from {current} to {to}", current=current)
    now = datetime.now(UTC)
    values: dict[Any, Any] = {
        Conversion.status: to,
        Conversion.reason: reason,
        Conversion.reason_detail: comment[:1000],
        Conversion.updated_at: now,
        Conversion.decided_at: now if to in {"approved", "rejected", "reversed"} else None,
    }
    if to == "hold":
        values[Conversion.hold_until] = hold_until
    updated: list[Row] = (
        await Conversion.update(values)
        .where(
            (Conversion.network == tenant_id)
            & (Conversion.id == conversion_id)
            & (Conversion.status == current)
        )
        .returning(*Conversion.all_columns())
    )
    if not updated:
        return None
    new: Row = updated[0]
    event_id = await record_event(new, from_status=current, reason=reason, comment=comment, actor=actor)
    await settle(new, event_id=event_id, kind=f"conversion_{to}")
    await audit.record(
        network_id=tenant_id,
        actor=actor,
        entity="conversion",
        entity_id=conversion_id,
        action=f"conversion.{to}",
        before={"status": current, "reason": row["reason"]},
        after={"status": to, "reason": reason},
        reason=comment or reason,
    )
    from network.outgoing import enqueue

    await enqueue.for_conversion(new, event=to, previous=current)
    return new
