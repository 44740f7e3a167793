"""Stored clicks, their hourly and daily rollups (docs/clicks.md, "Storage"), and smartlinks ("Smartlinks").

Indexes that piccolo cannot express (composite ones, and the partitioned layout on PostgreSQL) are created
by the hand-written migration ``tracking_2026_11_23t05_00_00_000000``; see its docstring for the layout.
"""

from piccolo.columns import BigInt, BigSerial, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from network.accounts.tables import Webmaster
from network.offers.tables import Offer
from network.tenants.tables import Network


class Click(Table):
    """A stored click. No foreign keys: clicks arrive in batches from the pipeline and are never deleted
    with the rows they mention.

    ``click_id`` is unique, which makes at-least-once delivery idempotent. On SQLite that is the column's own
    UNIQUE constraint. On PostgreSQL the table is partitioned by day on ``created_at``, and PostgreSQL only
    accepts unique constraints that contain the partition key, so the key there is
    ``PRIMARY KEY (click_id, created_at)``; ``id`` keeps its sequence but has no index of its own (clicks are
    found by ``click_id``). That is still unique on ``click_id`` in practice: ``created_at`` is the click's
    own time, carried by the event, so a redelivered click has the same ``(click_id, created_at)`` pair and
    is skipped, and two different clicks sharing a click_id would need the same 64 random bits.

    Other indexes (both engines): ``(network, created_at)`` and ``(network, visitor_id)``.
    """

    id = BigSerial(primary_key=True)
    click_id = Varchar(length=24, unique=True)
    network = BigInt()
    offer = BigInt(null=True, default=None)
    webmaster = BigInt()
    landing = BigInt(null=True, default=None)
    terms_version = BigInt(null=True, default=None)
    created_at = Timestamptz()
    is_trafficback = Boolean(default=False)
    reason = Varchar(length=32, default="ok")
    valid = Boolean(default=True)
    fraud_flags = Integer(default=0)
    fraud_score = Integer(default=0)
    ip = Varchar(length=45, default="")
    user_agent = Text(default="")
    referrer = Text(default="")
    country = Varchar(length=2, default="")
    device = Varchar(length=16, default="")
    os = Varchar(length=16, default="")
    visitor_id = Varchar(length=32, default="")
    source = Varchar(length=64, default="")
    creative_id = Varchar(length=64, default="")
    sub1 = Varchar(length=255, default="")
    sub2 = Varchar(length=255, default="")
    sub3 = Varchar(length=255, default="")
    sub4 = Varchar(length=255, default="")
    sub5 = Varchar(length=255, default="")
    sub6 = Varchar(length=255, default="")
    sub7 = Varchar(length=255, default="")
    sub8 = Varchar(length=255, default="")
    sub9 = Varchar(length=255, default="")
    sub10 = Varchar(length=255, default="")


class ClickRollupHourly(Table):
    """Clicks per network, offer, webmaster, sub1, country and UTC hour, maintained in the transaction that
    stores the clicks. ``offer`` is 0 for a click that reached no offer (a NULL would defeat the unique key:
    NULLs are distinct on SQLite). Unique key: ``(network, hour, offer, webmaster, sub1, country)``."""

    id = BigSerial(primary_key=True)
    network = BigInt()
    offer = BigInt()
    webmaster = BigInt()
    sub1 = Varchar(length=255)
    country = Varchar(length=2)
    hour = Timestamptz()
    clicks = BigInt()
    unique_clicks = BigInt()
    invalid_clicks = BigInt()


class ClickRollupDaily(Table):
    """The hourly rollup summed per local day of the network, without sub1: clicks per network, offer,
    webmaster, country and ``day``, the network's local date of each hourly row's UTC hour (its start),
    maintained by click storage in the same transaction as the hourly rows; the stats report reads it for
    the reports without sub1 that group or filter by webmaster (docs/stats.md). ``unique_clicks`` is the
    sum of the hourly unique counts (first visit per hour), not visitors per day. Rebuilt from the hourly
    rows when the network's time zone changes (network.tracking.storage.rebuild_daily), with
    ClickRollupDailyOffer. Unique key:
    ``(network, day, offer, webmaster, country)``, plus an index ``(network, webmaster, day)``."""

    id = BigSerial(primary_key=True)
    network = BigInt()
    offer = BigInt()
    webmaster = BigInt()
    country = Varchar(length=2)
    day = Date()
    clicks = BigInt()
    unique_clicks = BigInt()
    invalid_clicks = BigInt()


class ClickRollupDailyOffer(Table):
    """The daily rollup without webmaster: clicks per network, offer, country and local ``day``, maintained
    with it (same transaction, same days) for the network-wide reports, which would otherwise read a row per
    webmaster (10x fewer rows over a month in docs/benchmarks/stats.md). Unique key:
    ``(network, day, offer, country)``."""

    id = BigSerial(primary_key=True)
    network = BigInt()
    offer = BigInt()
    country = Varchar(length=2)
    day = Date()
    clicks = BigInt()
    unique_clicks = BigInt()
    invalid_clicks = BigInt()


class ClickRollupDailySub1(Table):
    """The daily rollup by sub1, narrow: clicks per network, webmaster, local ``day`` and sub1 (no offer, no
    country: the fewest keys that serve a webmaster's report by sub1), maintained with the other daily
    rollups (same transaction, same days) and rebuilt with them from the hourly rows on a time zone change.
    Unique key: ``(network, webmaster, day, sub1)``, which is also the index of a webmaster's period."""

    id = BigSerial(primary_key=True)
    network = BigInt()
    webmaster = BigInt()
    day = Date()
    sub1 = Varchar(length=255)
    clicks = BigInt()
    unique_clicks = BigInt()
    invalid_clicks = BigInt()


class ClickRollupInvalidHourly(Table):
    """Invalid clicks (``valid`` false) per rollup key and reason. The reason is each fraud flag set on the
    click (``bot_ua``, ``duplicate_click``, ...; see fastpath.reasons.FraudFlag), or the click's own reason
    (``bad_link``) when it is invalid without a flag; a click with two flags counts once under each, so the
    reasons of a key can add up to more than its ``invalid_clicks``.
    Unique key: ``(network, hour, offer, webmaster, sub1, country, reason)``."""

    id = BigSerial(primary_key=True)
    network = BigInt()
    offer = BigInt()
    webmaster = BigInt()
    sub1 = Varchar(length=255)
    country = Varchar(length=2)
    hour = Timestamptz()
    reason = Varchar(length=32)
    clicks = BigInt()


class ClickUniqueHourly(Table):
    """The visitors already counted as unique: one row per ``(network, offer, webmaster, hour, visitor)``,
    where ``visitor`` is the visitor cookie, or ``h:`` + md5(ip, newline, user agent) when it is empty.
    ``sub1`` and ``country`` are those of the first stored click, whose rollup row got the unique click.
    Partitioned by day on ``hour`` on PostgreSQL, like clicks, so old keys go with their partitions."""

    id = BigSerial(primary_key=True)
    network = BigInt()
    offer = BigInt()
    webmaster = BigInt()
    hour = Timestamptz()
    visitor = Varchar(length=40)
    sub1 = Varchar(length=255)
    country = Varchar(length=2)


class Smartlink(Table):
    """A multi-offer link (rotator): ``/s/{id}?wm=`` sends each click to one eligible offer, drawn by weight.
    ``webmaster`` is the owner; NULL for the network's own smartlinks, made by staff and usable by every
    webmaster. Only ``active`` ones are compiled into the click snapshot."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, null=True, default=None)
    name = Varchar(length=200)
    status = Varchar(length=16, default="active")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SmartlinkOffer(Table):
    """One offer of a smartlink with its weight. ``position`` keeps the order given: the engine's draw walks
    the cumulative weights in this order. Replaced as a whole when the smartlink's offers change."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict)
    smartlink = ForeignKey(references=Smartlink, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    weight = Integer()
    position = Integer()
