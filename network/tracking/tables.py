from piccolo.columns import BigInt, BigSerial, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class Click(Table):
    """A stored click. No foreign keys: clicks arrive in batches from the pipeline and are never deleted
    with the rows they mention. ``click_id`` is unique, which makes at-least-once delivery idempotent."""

    id = BigSerial(primary_key=True)
    click_id = Varchar(length=24, unique=True)
    network = BigInt(index=True)
    offer = BigInt(null=True, default=None)
    webmaster = BigInt(index=True)
    landing = BigInt(null=True, default=None)
    terms_version = BigInt(null=True, default=None)
    created_at = Timestamptz(index=True)
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
