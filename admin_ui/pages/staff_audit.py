"""Staff: the audit log viewer. Who changed what, when, from what to what and why, filtered by entity and
by actor, a page at a time (network/audit/browse.py reads it). It only reads: nothing here changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from litestar import Controller, get
from litestar.response import Template

from admin_ui.pages.params import Code, Offset, Text
from admin_ui.pages.staff_common import UiDep
from admin_ui.render import render
from admin_ui.session import STAFF, access
from admin_ui.views import pager
from network.audit import browse
from network.audit.schemas import AuditOut

PATH = "/ui/staff/audit"
PAGE = 30
ENTITIES = (
    "conversion",
    "withdrawal",
    "payout_batch",
    "offer",
    "offer_access",
    "terms",
    "webmaster",
    "advertiser",
    "user",
    "api_key",
    "network",
    "group",
    "postback_auth",
    "postback_endpoint",
    "postback_delivery",
    "smartlink",
    "coupon",
    "lead",
)
ACTOR_ROLES = ("network_admin", "staff", "advertiser", "webmaster", "system")


@dataclass(frozen=True)
class Change:
    """One field of an audit row: its value before and after (``None`` where the side does not name it)."""

    field: str
    before: str | None
    after: str | None


def _text(value: Any) -> str:
    """A recorded value as written (JSON: a string keeps its quotes, so it reads as data, not as words)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff(entry: AuditOut) -> list[Change]:
    """Every field either side names, in order, with what it was and what it became."""
    fields = list(dict.fromkeys([*entry.before, *entry.after]))
    return [
        Change(
            name,
            _text(entry.before[name]) if name in entry.before else None,
            _text(entry.after[name]) if name in entry.after else None,
        )
        for name in fields
    ]


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


class StaffAuditPages(Controller):
    path = "/staff/audit"
    opt = access(STAFF)

    @get("/")
    async def audit(
        self,
        ui: UiDep,
        entity: Code = None,
        entity_id: Code = None,
        actor: Code = None,
        actor_role: Code = None,
        action: Text = None,
        offset: Offset = 0,
    ) -> Template:
        """The network's audit log, newest first, with before -> after and the reason."""
        filters = {
            "entity": _choice(entity, ENTITIES),
            "entity_id": (entity_id or "").strip() or None,
            "actor": (actor or "").strip() or None,
            "actor_role": _choice(actor_role, ACTOR_ROLES),
            "action": (action or "").strip() or None,
        }
        found = await browse.entries(
            ui.require(),
            entity=filters["entity"],
            entity_id=filters["entity_id"],
            actor_user_id=filters["actor"],
            actor_role=filters["actor_role"],
            action=filters["action"],
            limit=PAGE,
            offset=offset,
        )
        return render(
            ui,
            "staff/audit.html",
            values={k: v or "" for k, v in filters.items()},
            filtered=any(filters.values()),
            entries=[(e, diff(e)) for e in found.items],
            entity_options=[("", ui.t("staff.audit.any"))]
            + [(e, ui.t.label("staff.audit.entity", e)) for e in ENTITIES],
            role_options=[("", ui.t("staff.audit.any"))]
            + [(r, ui.t.label("staff.audit.role", r)) for r in ACTOR_ROLES],
            pager=pager(found.total, PAGE, offset, PATH, filters),
        )
