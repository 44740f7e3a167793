from piccolo.columns import BigSerial, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from network.tenants.tables import Network


class TrafficListEntry(Table):
    """A staff block or allow entry for the click engine's fraud filter (fastpath ``ListsSpec``).

    Never deleted: removing an entry sets ``removed_at`` (with who and why), so the list's history stays
    readable next to the clicks it flagged.
    """

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16)  # ip | sub | referrer_domain | webmaster
    action = Varchar(length=8)  # block | allow
    value = Varchar(length=255)
    reason = Varchar(length=1000)
    created_by = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
    removed_at = Timestamptz(null=True, default=None)
    removed_by = Integer(null=True, default=None)
    removed_reason = Varchar(length=1000, default="")
