"""The piccolo apps of every bounded context, in dependency order, after piccolo's own user and session
apps: the installation operators who log in to the raw table browser (network/operators/table_browser.py)."""

from piccolo.apps.user.piccolo_app import APP_CONFIG as OPERATORS
from piccolo.conf.apps import AppConfig
from piccolo_api.session_auth.piccolo_app import APP_CONFIG as OPERATOR_SESSIONS

from network.accounts.piccolo_app import APP_CONFIG as ACCOUNTS
from network.audit.piccolo_app import APP_CONFIG as AUDIT
from network.conversions.piccolo_app import APP_CONFIG as CONVERSIONS
from network.ledger.piccolo_app import APP_CONFIG as LEDGER
from network.lists.piccolo_app import APP_CONFIG as LISTS
from network.offers.piccolo_app import APP_CONFIG as OFFERS
from network.outgoing.piccolo_app import APP_CONFIG as OUTGOING
from network.tenants.piccolo_app import APP_CONFIG as TENANTS
from network.terms.piccolo_app import APP_CONFIG as TERMS
from network.tracking.piccolo_app import APP_CONFIG as TRACKING

# The operators' tables (piccolo_user, sessions) are not a bounded context and hold no tenant's rows.
OPERATOR_APPS: tuple[AppConfig, ...] = (OPERATORS, OPERATOR_SESSIONS)

CONTEXT_APPS: tuple[AppConfig, ...] = (
    TENANTS,
    ACCOUNTS,
    OFFERS,
    TERMS,
    TRACKING,
    LISTS,
    AUDIT,
    CONVERSIONS,
    LEDGER,
    OUTGOING,
)

APPS: tuple[AppConfig, ...] = (*OPERATOR_APPS, *CONTEXT_APPS)
