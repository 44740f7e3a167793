from piccolo.columns import JSON, BigInt, BigSerial, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from network.accounts.tables import Advertiser, Webmaster
from network.tenants.tables import Network


class Offer(Table):
    """What an advertiser promotes. Targeting is kept as JSON: it is compiled into the click snapshot."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    advertiser = ForeignKey(references=Advertiser, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200)
    description = Text(default="")
    category = Varchar(length=64, default="")
    currency = Varchar(length=3, default="USD")
    status = Varchar(length=16, default="draft")
    status_reason = Varchar(length=1000, default="")
    visibility = Varchar(length=20, default="public")
    attribution_window_days = Integer(default=30)
    allowed_sources = JSON(default="[]")
    trafficback_url = Varchar(length=2048, default="")
    # What a conversion gets once a conversion or budget cap is reached: "reject" or "hold" (for review).
    cap_policy = Varchar(length=8, default="reject")
    # Click-to-conversion time bounds in seconds (0: no bound): below_min_ctct / above_max_ctct.
    min_ctct_seconds = Integer(default=0)
    max_ctct_seconds = Integer(default=0)
    # {"countries": [..], "devices": [..], "os": [..], "schedule": {"timezone": .., "hours": {"mon": [..]}}}
    targeting = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Goal(Table):
    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    key = Varchar(length=64)
    name = Varchar(length=200)
    kind = Varchar(length=8, default="CPA")


class Landing(Table):
    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200)
    url_template = Varchar(length=2048)
    deep_link_hosts = JSON(default="[]")
    is_default = Boolean(default=False)


class PromoMaterial(Table):
    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16)
    name = Varchar(length=200)
    url = Varchar(length=2048, default="")
    content = Text(default="")
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)


class OfferCap(Table):
    """A cap. For ``metric == "budget"`` the limit is in minor units of the offer currency."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    period = Varchar(length=8)
    metric = Varchar(length=12)
    scope = Varchar(length=16, default="shared")
    limit_value = BigInt()


class OfferAccess(Table):
    """A webmaster's access to an offer: requested, approved, declined, invited or revoked."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=16)
    reason = Varchar(length=1000, default="")
    message = Varchar(length=1000, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
