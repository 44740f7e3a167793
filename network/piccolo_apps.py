"""The piccolo apps of every bounded context, in dependency order."""

from piccolo.conf.apps import AppConfig

from network.accounts.piccolo_app import APP_CONFIG as ACCOUNTS
from network.audit.piccolo_app import APP_CONFIG as AUDIT
from network.conversions.piccolo_app import APP_CONFIG as CONVERSIONS
from network.ledger.piccolo_app import APP_CONFIG as LEDGER
from network.offers.piccolo_app import APP_CONFIG as OFFERS
from network.outgoing.piccolo_app import APP_CONFIG as OUTGOING
from network.tenants.piccolo_app import APP_CONFIG as TENANTS
from network.terms.piccolo_app import APP_CONFIG as TERMS
from network.tracking.piccolo_app import APP_CONFIG as TRACKING

APPS: tuple[AppConfig, ...] = (
    TENANTS,
    ACCOUNTS,
    OFFERS,
    TERMS,
    TRACKING,
    AUDIT,
    CONVERSIONS,
    LEDGER,
    OUTGOING,
)
