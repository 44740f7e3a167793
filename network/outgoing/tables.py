from piccolo.columns import JSON, BigInt, BigSerial, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from network.accounts.tables import Webmaster
from network.tenants.tables import Network


class PostbackEndpoint(Table):
    """A webmaster's postback URL: global (``offer`` null) or for one offer, with status and goal filters.
    ``secret`` signs the requests (the receiver needs it to verify, so it is kept, not hashed)."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, index=True)
    offer = BigInt(null=True, default=None)
    url = Varchar(length=2048)
    statuses = JSON(default="[]")
    goals = JSON(default="[]")
    secret = Varchar(length=64)
    enabled = Boolean(default=True)
    paused_reason = Varchar(length=500, default="")
    consecutive_failures = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class PostbackDelivery(Table):
    """One event to one endpoint. ``event_id`` stays the same across retries so receivers can de-duplicate."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    endpoint = ForeignKey(references=PostbackEndpoint, on_delete=OnDelete.restrict, index=True)
    conversion = BigInt(index=True)
    event_id = Varchar(length=36, unique=True)
    event = Varchar(length=16)
    url = Varchar(length=4096)
    state = Varchar(length=12, default="queued", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    last_http_status = Integer(null=True, default=None)
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)


class PostbackAttempt(Table):
    """The delivery log: one row per HTTP attempt."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    delivery = ForeignKey(references=PostbackDelivery, on_delete=OnDelete.restrict, index=True)
    attempt = Integer()
    at = Timestamptz(default=TimestamptzNow())
    http_status = Integer(null=True, default=None)
    latency_ms = Integer(default=0)
    response_snippet = Text(default="")
    error = Varchar(length=500, default="")
