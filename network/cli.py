"""The ``cpanet`` command: database, demo data and the server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click

from network.settings import Settings, load_settings

DEMO_CREDENTIALS = Path("var/demo-credentials.json")
DEMO_OPERATOR = {"username": "operator", "password": "operator-password"}
T = TypeVar("T")


def _settings(database_url: str | None) -> Settings:
    if database_url:
        os.environ["CPANET_DATABASE_URL"] = database_url
    from network.db import check_url

    settings = load_settings()
    try:
        check_url(settings.database)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    return settings


@click.group()
def main() -> None:
    """cpanet: an open, self-hosted CPA network."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("migrate")
@click.option(
    "--database-url", envvar="CPANET_DATABASE_URL", default=None, help="Overrides CPANET_DATABASE_URL."
)
def db_migrate(database_url: str | None) -> None:
    """Apply every pending migration (SQLite or PostgreSQL)."""
    _settings(database_url)
    from network.migrations import migrate

    asyncio.run(migrate())
    click.echo("migrations applied")


@db.command("check")
def db_check() -> None:
    """Fail if the tables and the migrations disagree (run in CI)."""
    from network.migrations import pending_schema_changes

    changes = asyncio.run(pending_schema_changes())
    if changes:
        for app, statements in changes.items():
            click.echo(f"{app}: tables differ from migrations:", err=True)
            for s in statements:
                click.echo(f"  {s}", err=True)
        sys.exit(1)
    click.echo("tables and migrations agree")


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("seed")
@click.option("--database-url", envvar="CPANET_DATABASE_URL", default=None)
def demo_seed(database_url: str | None) -> None:
    """Create the demo network (staff, 3 advertisers, 20 offers, 10 webmasters, API keys) once."""
    settings = _settings(database_url)
    from network.demo import seed

    creds = asyncio.run(seed(settings))
    if creds is None:
        click.echo("demo network already present; credentials are in " + str(DEMO_CREDENTIALS))
    else:
        _write_demo_credentials(creds)
        click.echo(f"demo network created; credentials written to {DEMO_CREDENTIALS}")
    if settings.db_admin.enabled:
        _seed_demo_operator(settings)


def _write_demo_credentials(creds: dict[str, object]) -> None:
    DEMO_CREDENTIALS.parent.mkdir(parents=True, exist_ok=True)
    DEMO_CREDENTIALS.write_text(json.dumps(creds, indent=2))
    DEMO_CREDENTIALS.chmod(0o600)


def _seed_demo_operator(settings: Settings) -> None:
    """With the table browser on, the demo gets an operator too (once), kept with the other demo logins."""
    from network.operators import service

    name, password = DEMO_OPERATOR["username"], DEMO_OPERATOR["password"]
    # An operator of that name made by hand keeps its own password, and is not listed as a demo login.
    if not _operators(settings, lambda: service.create_if_missing(name, password)):
        return
    click.echo(f"demo operator {name} created for the table browser")
    if DEMO_CREDENTIALS.exists():
        creds = json.loads(DEMO_CREDENTIALS.read_text())
        creds["operator"] = DEMO_OPERATOR
        _write_demo_credentials(creds)


@demo.command("credentials")
def demo_credentials() -> None:
    """Print the demo logins and API keys."""
    settings = load_settings()
    if not DEMO_CREDENTIALS.exists():
        click.echo("no demo credentials yet: run `cpanet demo seed`", err=True)
        sys.exit(1)
    creds = json.loads(DEMO_CREDENTIALS.read_text())
    base = settings.http.public_base_url
    click.echo("")
    click.echo("cpanet is running:")
    click.echo(f"  cabinets           {base}/ui/login")
    click.echo(f"  API docs (Scalar)  {base}/schema")
    click.echo(f"  API docs (Swagger) {base}/schema/swagger")
    click.echo(f"  OpenAPI document   {base}/schema/openapi.json")
    click.echo(f"  health             {base}/health")
    click.echo(f"  network            {creds['network']}  (tracking host {creds['tracking_host']})")
    click.echo("")
    click.echo(f"  {'role':<14}{'e-mail':<34}{'password':<20}API key")
    for user in creds["users"]:
        click.echo(f"  {user['role']:<14}{user['email']:<34}{user['password']:<20}{user['api_key']}")
    click.echo("")
    if settings.db_admin.enabled and creds.get("operator"):
        op = creds["operator"]
        click.echo("")
        click.echo(f"  table browser (operators, read-only, every network): {base}/admin/db/")
        click.echo(f"    username {op['username']}  password {op['password']}")
    click.echo("")
    click.echo('  try: curl -H "Authorization: Bearer <API key>" ' + base + "/api/v1/offers")
    if creds.get("demo_click"):
        click.echo(f"  a tracking link (302 to the landing page): {creds['demo_click']}")


@main.group()
def operator() -> None:
    """Installation operators: the logins of the raw table browser at /admin/db/ (CPANET_DB_ADMIN=1).

    An operator reads every network's tables; network staff keep their cabinets and never need one."""


def _operators(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    from network.errors import DomainError
    from network.operators.service import database

    async def run() -> T:
        async with database(settings):
            return await work()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc


@operator.command("create")
@click.option("--username", required=True)
@click.option("--email", default="", help="Unique; default USERNAME@operators.invalid (never receives mail).")
@click.option("--superuser", is_flag=True, help="piccolo-admin superuser (no more rights while read-only).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def operator_create(username: str, email: str, superuser: bool, password_stdin: bool) -> None:
    """Create an operator who may log in to /admin/db/ (read-only, every network's rows)."""
    settings = _settings(None)
    from network.operators import service

    password = _read_password(password_stdin)
    created = _operators(
        settings, lambda: service.create(username, password, email=email, superuser=superuser)
    )
    click.echo(f"operator {created.username} created with id {created.id}")
    if not settings.db_admin.enabled:
        click.echo("the table browser is off: set CPANET_DB_ADMIN=1 to serve it at /admin/db/", err=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@operator.command("password")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def operator_password(username: str, password_stdin: bool) -> None:
    """Set an operator's password (the table browser's own form is off: it is read-only)."""
    settings = _settings(None)
    from network.operators import service

    password = _read_password(password_stdin)
    _operators(settings, lambda: service.set_password(username, password))
    click.echo(f"password of operator {username} changed; their sessions ended")


@operator.command("list")
def operator_list() -> None:
    """Every operator, active or not."""
    settings = _settings(None)
    from network.operators import service

    click.echo(f"{'id':<6}{'username':<24}{'active':<8}{'superuser':<11}{'last login':<21}e-mail")
    for op in _operators(settings, service.list_all):
        last = op.last_login.strftime("%Y-%m-%d %H:%M:%S") if op.last_login else "never"
        click.echo(
            f"{op.id:<6}{op.username:<24}{'yes' if op.active else 'no':<8}"
            f"{'yes' if op.superuser else 'no':<11}{last:<21}{op.email}"
        )


@operator.command("deactivate")
@click.option("--username", required=True)
def operator_deactivate(username: str) -> None:
    """End an operator's access to /admin/db/ (their sessions too); the row stays, for the record."""
    settings = _settings(None)
    from network.operators import service

    _operators(settings, lambda: service.deactivate(username))
    click.echo(f"operator {username} deactivated")


@main.group()
def terms() -> None:
    """Offer terms."""


@terms.command("backtest")
@click.option("--network", "network_slug", required=True, help="The network's slug.")
@click.option("--version-id", type=int, required=True, help="The stored version to compare against.")
@click.option(
    "--draft",
    "draft_path",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help='JSON file: {"payout": .., "revenue": .., "hold_days": .., "status": ..}',
)
@click.option(
    "--samples",
    "samples_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="JSON Lines file: one conversion context per line.",
)
@click.option(
    "--date-from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Instead of --samples: replay the version's offer's conversions created from this day...",
)
@click.option(
    "--date-to",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="...to this day (inclusive; the network's time zone).",
)
def terms_backtest(
    network_slug: str,
    version_id: int,
    draft_path: str,
    samples_path: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
) -> None:
    """Backtest draft rules against a stored version, with a progress bar: on a file of conversion contexts
    (--samples), or on the offer's past conversions (--date-from and --date-to)."""
    settings = load_settings()
    from network.terms.backtest_cli import run_backtest_conversions, run_backtest_file

    if samples_path is not None:
        if date_from is not None or date_to is not None:
            raise click.UsageError("give either --samples or --date-from/--date-to, not both")
        report = run_backtest_file(settings, network_slug, version_id, Path(draft_path), Path(samples_path))
    elif date_from is not None and date_to is not None:
        report = run_backtest_conversions(
            settings, network_slug, version_id, Path(draft_path), date_from.date(), date_to.date()
        )
    else:
        raise click.UsageError("give --samples, or --date-from and --date-to")
    click.echo(json.dumps(report, indent=2))


@main.group()
def worker() -> None:
    """Background workers."""


@worker.command("clicks")
def worker_clicks() -> None:
    """Consume click batches from RabbitMQ and store them (acknowledged only after commit)."""
    import signal

    from network.tracking.consumer import ClickConsumer

    settings = _settings(None)
    try:
        consumer = ClickConsumer(settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    signal.signal(signal.SIGTERM, lambda *_: consumer.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: consumer.stopping.set())
    click.echo(f"storing clicks from {settings.broker.amqp_url.split('@')[-1]}")
    consumer.run()


@main.command("serve")
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
def serve(host: str | None, port: int | None) -> None:
    """Serve the API (uvicorn)."""
    import uvicorn

    from network.app import create_app

    try:
        settings = load_settings()
        app = create_app(settings)
    except ValueError as exc:  # a bad CPANET_* value: one line that names it, not a traceback
        raise click.ClickException(f"configuration: {exc}") from exc
    uvicorn.run(
        app,
        host=host or settings.http.host,
        port=port or settings.http.port,
        log_level="info",
        access_log=False,
    )


@main.command("network-create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--tracking-host", required=True)
@click.option("--timezone", default="UTC")
@click.option("--currency", default="USD")
@click.option("--admin-email", required=True)
@click.option("--admin-password", prompt=True, hide_input=True, confirmation_prompt=True)
def network_create(
    slug: str,
    name: str,
    tracking_host: str,
    timezone: str,
    currency: str,
    admin_email: str,
    admin_password: str,
) -> None:
    """Create a network (tenant) and its first network admin."""
    settings = _settings(None)
    from network.demo import create_network_with_admin
    from network.errors import DomainError

    try:
        network_id = asyncio.run(
            create_network_with_admin(
                settings,
                slug=slug,
                name=name,
                tracking_host=tracking_host,
                timezone=timezone,
                currency=currency,
                admin_email=admin_email,
                admin_password=admin_password,
            )
        )
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"network {slug} created with id {network_id}")


if __name__ == "__main__":
    main()
