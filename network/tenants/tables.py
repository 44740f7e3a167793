from piccolo.columns import JSON, BigSerial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Network(Table):
    """A tenant: one CPA network with its own staff, advertisers, webmasters and tracking host."""

    id = BigSerial(primary_key=True)
    slug = Varchar(length=63, unique=True)
    name = Varchar(length=200)
    tracking_host = Varchar(length=253, unique=True)
    timezone = Varchar(length=64, default="UTC")
    currency = Varchar(length=3, default="USD")
    trafficback_url = Varchar(length=2048, default="")
    settings = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
