"""The audit log: append-only rows written in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

from network import jsoncol
from network.audit import repository
from network.principal import Principal


async def record(
    *,
    network_id: int,
    actor: Principal | None,
    entity: str,
    entity_id: int | str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    actor_id, actor_role = actor.audit_actor() if actor else ("", "system")
    await repository.insert(
        network_id=network_id,
        actor_user_id=actor_id,
        actor_role=actor_role,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before=jsoncol.dump(before or {}),
        after=jsoncol.dump(after or {}),
        reason=reason,
    )


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, on both sides, so an audit row reads as a diff."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
