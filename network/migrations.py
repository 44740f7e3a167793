"""Apply piccolo migrations, and check that tables and migrations agree."""

from __future__ import annotations

import contextlib
import io
import os

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from network.piccolo_apps import APPS

PICCOLO_CONF = "network.piccolo_conf"


def _use_conf() -> None:
    # piccolo's migration runner finds its engine through PICCOLO_CONF, which reads CPANET_DATABASE_URL.
    os.environ["PICCOLO_CONF"] = PICCOLO_CONF


async def migrate() -> None:
    _use_conf()
    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


async def pending_schema_changes() -> dict[str, list[str]]:
    """Statements that a new auto migration would contain, per app; empty when tables match migrations."""
    _use_conf()
    out: dict[str, list[str]] = {}
    for app in APPS:
        with contextlib.redirect_stdout(io.StringIO()):  # piccolo prints a summary table per app
            alter = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config=app)
        statements = [s for a in alter for s in a.statements]
        if statements:
            out[app.app_name] = statements
    return out
