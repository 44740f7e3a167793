from piccolo.columns import JSON, BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from network.tenants.tables import Network


class AuditEntry(Table):
    """Append-only: who changed what, when, from what to what, and why. Never updated or deleted."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_user_id = Varchar(length=32, default="")
    actor_role = Varchar(length=16, default="system")
    entity = Varchar(length=32, index=True)
    entity_id = Varchar(length=32, index=True)
    action = Varchar(length=48)
    before = JSON(default="{}")
    after = JSON(default="{}")
    reason = Varchar(length=2000, default="")
