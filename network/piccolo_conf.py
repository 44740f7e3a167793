"""piccolo's configuration module (PICCOLO_CONF=network.piccolo_conf), used by migrations.

The engine comes from the same Settings as the application: CPANET_DATABASE_URL.
"""

from piccolo.conf.apps import AppRegistry

from network.db import build_engine
from network.settings import load_settings

DB = build_engine(load_settings().database)

APP_REGISTRY = AppRegistry(
    apps=[
        # piccolo's own user and session tables: the installation operators of the table browser (/admin/db/).
        "piccolo.apps.user.piccolo_app",
        "piccolo_api.session_auth.piccolo_app",
        "network.tenants.piccolo_app",
        "network.accounts.piccolo_app",
        "network.offers.piccolo_app",
        "network.terms.piccolo_app",
        "network.tracking.piccolo_app",
        "network.lists.piccolo_app",
        "network.audit.piccolo_app",
        "network.conversions.piccolo_app",
        "network.ledger.piccolo_app",
        "network.outgoing.piccolo_app",
    ]
)
