from piccolo.columns import BigSerial, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from network.accounts.tables import Webmaster, WebmasterGroup
from network.offers.tables import Offer
from network.tenants.tables import Network


class TermsVersion(Table):
    """One published version of an offer's terms. Immutable: editing publishes a new version.

    ``scope`` is "offer" (everyone), "group" (a webmaster group) or "webmaster" (a private deal). Rules tell
    goals apart with ``{"var": "goal"}``, so one version covers every goal of the offer.
    """

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.restrict, index=True)
    number = Integer()
    scope = Varchar(length=12, default="offer")
    group = ForeignKey(references=WebmasterGroup, on_delete=OnDelete.restrict, null=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, null=True)
    # Canonical JSON of {"payout": .., "revenue": .., "hold_days": .., "status": ..}; numbers stay exact.
    rules = Text()
    currency = Varchar(length=3)
    version_hash = Varchar(length=64)
    effective_from = Timestamptz(index=True)
    note = Varchar(length=1000, default="")
    created_by = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class TermsAcceptance(Table):
    """A webmaster's acceptance of a terms version, with an optional end of validity."""

    id = BigSerial(primary_key=True)
    network = ForeignKey(references=Network, on_delete=OnDelete.restrict, index=True)
    terms_version = ForeignKey(references=TermsVersion, on_delete=OnDelete.restrict, index=True)
    webmaster = ForeignKey(references=Webmaster, on_delete=OnDelete.restrict, index=True)
    accepted_at = Timestamptz(default=TimestamptzNow())
    valid_until = Timestamptz(null=True, default=None)
