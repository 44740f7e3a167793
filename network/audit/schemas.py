from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class AuditOut(msgspec.Struct):
    id: int
    at: datetime
    actor_user_id: str
    actor_role: str
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str
