from piccolo.columns import JSON, BigInt, BigSerial, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from network.accounts.tables import Advertiser, Webmaster
from network.offers.tables import Offer
from network.tenants.tables import Network


class PostbackAuth(Table):
    """How an advertiser's postbacks authenticate: a token (only its SHA-256 is kept), an optional IP
    allowlist and an optional HMAC-SHA256 secret. The HMAC secret must be kept to verify signatures."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    advertiser = ForeignKey(references=Advertiser, on_delete=OnDelete.restrict, index=True)
    token_prefix = Varchar(length=16, unique=True)
    token_hash = Varchar(length=64)
    ip_allowlist = JSON(default="[]")
    hmac_secret = Varchar(length=128, default="")
    require_hmac = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class Conversion(Table):
    """A conversion. Amounts are minor units of ``currency``. ``dedup_key`` is the order id, or
    ``click:<click_id>:<goal>`` when the advertiser sends none; it is unique per offer."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    advertiser = ForeignKey(references=Advertiser, on_delete=OnDelete.restrict, index=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, index=True)
    goal = Varchar(length=64, default="")
    click_id = Varchar(length=24, index=True)
    click_at = Timestamptz()
    attribution = Varchar(length=16, default="click_id")
    terms_version = BigInt(null=True, default=None)
    status = Varchar(length=12, index=True)
    reason = Varchar(length=64, default="")
    reason_detail = Varchar(length=1000, default="")
    dedup_key = Varchar(length=200)
    order_id = Varchar(length=128, default="")
    currency = Varchar(length=3)
    payout = BigInt(default=0)
    revenue = BigInt(default=0)
    sale_amount = BigInt(null=True, default=None)
    hold_days = Integer(default=0)
    hold_until = Timestamptz(null=True, default=None, index=True)
    ctct_seconds = BigInt(default=0)
    billable = Boolean(default=True)
    country = Varchar(length=2, default="")
    ip = Varchar(length=45, default="")
    sub1 = Varchar(length=255, default="")
    sub2 = Varchar(length=255, default="")
    sub3 = Varchar(length=255, default="")
    sub4 = Varchar(length=255, default="")
    sub5 = Varchar(length=255, default="")
    params = JSON(default="{}")
    # The context the terms rules read when this conversion was priced (what a backtest replays); {} when no
    # rule ran. Decimals are JSON numbers: read it back with rules.parse_rule.
    pricing_context = JSON(default="{}")
    # Referral commissions fixed at accrual: [[referrer webmaster id, level, amount in minor units], ...]
    commissions = JSON(default="[]")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)


class PostbackLog(Table):
    """Every inbound postback and what was decided, including the rejected ones (advertisers see these)."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    advertiser = BigInt(null=True, default=None, index=True)
    received_at = Timestamptz(default=TimestamptzNow(), index=True)
    dialect = Varchar(length=16, default="cpanet")
    ip = Varchar(length=45, default="")
    params = JSON(default="{}")
    decision = Varchar(length=16)
    reason = Varchar(length=64, default="")
    message = Varchar(length=1000, default="")
    http_status = Integer(default=200)
    click_id = Varchar(length=64, default="")
    conversion = BigInt(null=True, default=None)


class QueuedPostback(Table):
    """A postback whose click is not stored yet (it is still in the click pipeline). Attribution is retried
    until the click arrives or the grace period ends; nothing is lost and nothing is guessed."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    advertiser = ForeignKey(references=Advertiser, on_delete=OnDelete.restrict)
    click_id = Varchar(length=24, index=True)
    payload = JSON(default="{}")
    state = Varchar(length=12, default="queued", index=True)
    attempts = Integer(default=0)
    received_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    conversion = BigInt(null=True, default=None)
    reason = Varchar(length=64, default="")


class Coupon(Table):
    """A promo code assigned to a webmaster: a postback carrying it is attributed to that webmaster."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, index=True)
    code = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class Lead(Table):
    """A customer registered in advance by a webmaster (a customer id or an e-mail SHA-256)."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, index=True)
    lead_key = Varchar(length=128)
    note = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class CapUsage(Table):
    """How much of a conversion or budget cap is used in one period and scope. Keyed by the cap's meaning
    (offer, metric, period key such as ``d:2026-11-23``, ``m:2026-11`` or ``total``, and webmaster 0 for a
    shared cap), not by the cap row, so editing an offer's caps keeps what is already used. Reserved with one
    conditional UPDATE, so it is exact under concurrency."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = BigInt()
    metric = Varchar(length=12)
    period_key = Varchar(length=16)
    webmaster = BigInt(default=0)
    used = BigInt(default=0)


class ConversionEvent(Table):
    """Append-only history of a conversion: every status change with its reason code, who and when."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    conversion = ForeignKey(references=Conversion, on_delete=OnDelete.restrict, index=True)
    at = Timestamptz(default=TimestamptzNow())
    from_status = Varchar(length=12, default="")
    to_status = Varchar(length=12)
    reason = Varchar(length=64, default="")
    comment = Text(default="")
    actor_role = Varchar(length=16, default="system")
