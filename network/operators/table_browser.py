"""piccolo-admin at /admin/db/: every table of every network, read-only, for the installation's operators.

Why operators only: piccolo-admin's table views have no tenant filter, so it shows every network's rows.
An operator of a self-hosted installation already owns the whole database; network staff do not, and keep
the tenant-scoped cabinets under /ui. piccolo-admin logs its users in against its own tables
(``piccolo_user``, ``sessions``; network/operators/service.py), so no network login opens it.

Why read-only, every table: a raw write would skip what the services guarantee (an audit row for every
change of money, status or terms; balanced ledger postings; status transitions; the tenant of every row).
Changes go through the API, the cabinets or the command line.

Secrets (password, key and token hashes, CSRF tokens, signing secrets) are not columns of the browsed tables
at all: each table that has one is browsed through a subclass without it, so neither the views nor the API
under /admin/db/api/ can select it.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException
from litestar.handlers import ASGIRouteHandler, asgi
from litestar.types import HTTPResponseStartEvent, Message, Receive, Scope, Send
from piccolo.apps.user.tables import BaseUser
from piccolo.engine.base import Engine
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.session_auth.tables import SessionsBase

from network.piccolo_apps import APPS, OPERATOR_APPS
from network.settings import Settings

PREFIX = "/admin/db"

# Columns never shown, by table. tests/functional/test_db_admin.py fails on a new column whose name looks
# like a secret until it is listed here or declared harmless there.
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    "app_user": frozenset({"password_hash"}),
    "api_key": frozenset({"secret_hash"}),
    "user_session": frozenset({"token_hash", "csrf_token"}),
    "password_reset": frozenset({"token_hash"}),
    "postback_auth": frozenset({"token_hash", "hmac_secret"}),
    "postback_endpoint": frozenset({"secret"}),
}

# The single-page app: its own scripts and stylesheet. 'unsafe-inline' styles because Vue and Font Awesome
# set styles at run time (style elements and attributes); no inline or third-party script, no eval, no
# framing, nothing from other origins. The rest of the site keeps admin_ui/mount.py's policy (no script).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_OWN_HEADERS = {b"content-security-policy", b"x-frame-options", b"x-content-type-options", b"referrer-policy"}


def _without(table: type[Table], hidden: Iterable[str]) -> type[Table]:
    """A subclass of ``table`` (same database table) without the ``hidden`` columns: piccolo builds a
    table's columns from its attributes, and an attribute set to None is no column."""
    names = set(hidden)
    view: type[Table] = types.new_class(
        table.__name__,
        (table,),
        {"tablename": table._meta.tablename},
        lambda namespace: namespace.update(dict.fromkeys(names)),
    )
    # The subclass's foreign keys registered themselves on the tables they reference; those lists feed
    # piccolo's migration writer and reverse look-ups, which must only see the real tables. (By identity:
    # a column's == builds a WHERE clause.)
    for fk in view._meta.foreign_key_columns:
        refs = fk._foreign_key_meta.resolved_references._meta._foreign_key_references
        refs[:] = [ref for ref in refs if ref is not fk]
    return view


def _browsed() -> list[tuple[str, type[Table]]]:
    out: list[tuple[str, type[Table]]] = []
    for app in APPS:
        group = "operators" if app in OPERATOR_APPS else app.app_name
        for table in app.table_classes:
            hidden = SECRET_COLUMNS.get(table._meta.tablename)
            out.append((group, _without(table, hidden) if hidden else table))
    return out


# Built once per process: subclassing a table is global (and would pile up per app in the tests).
BROWSED = _browsed()
VIEWS = [table for _, table in BROWSED if table not in {t for a in APPS for t in a.table_classes}]


def bind(engine: Engine[Any]) -> None:
    """Point the secret-less subclasses at ``engine``, as network/db.py bind_tables does for the tables."""
    for view in VIEWS:
        view._meta.db = engine


def _admin_app(settings: Settings) -> Any:
    public = urlsplit(settings.http.public_base_url)
    return create_admin(
        tables=[TableConfig(table, menu_group=group) for group, table in BROWSED],
        auth_table=BaseUser,
        session_table=SessionsBase,
        read_only=True,
        # Every table is listed above; related ones added automatically would be the unfiltered originals.
        auto_include_related=False,
        # Secure session cookie, and under HTTPS the CSRF check wants an Origin or Referer on this host.
        production=public.scheme == "https",
        allowed_hosts=[public.hostname] if public.hostname else [],
        site_name="cpanet tables",
    )


def _headers(path: str) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]
    if not path.startswith(PREFIX + "/assets/"):
        headers.append((b"cache-control", b"no-store"))  # rows of every network: never cached
    return headers


async def _redirect(send: Send, location: str) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 308,
        "headers": [(b"location", location.encode()), (b"content-length", b"0"), *_headers("")],
    }
    await send(start)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def table_browser(settings: Settings) -> ASGIRouteHandler:
    """The /admin/db mount. The API's authentication middleware skips it (``exclude_from_auth``) and grants
    it nothing: piccolo-admin authenticates every request itself, against the operators' sessions."""
    admin = _admin_app(settings)

    @asgi(PREFIX, is_mount=True, copy_scope=True, opt={"exclude_from_auth": True})
    async def db_admin(scope: Scope, receive: Receive, send: Send) -> None:
        # litestar hands a mount the rest of the path with a trailing slash forced on; piccolo-admin (FastAPI)
        # gets the path as requested, under its root path, so its static files and URLs come out right.
        if scope["type"] != ScopeType.HTTP:
            return  # no websockets here
        # (Some clients, litestar's test client among them, leave the query string in raw_path.)
        raw = (scope.get("raw_path") or scope["path"].encode()).split(b"?", 1)[0]
        path = unquote(raw.decode("latin-1"))
        if path == PREFIX:
            await _redirect(send, PREFIX + "/")  # the app's own links are relative to /admin/db/
            return
        if not path.startswith(PREFIX + "/"):
            raise NotFoundException()  # litestar's mount also matches /admin/dbx
        extra = _headers(path)
        replaced = {name for name, _ in extra}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                drop = replaced | _OWN_HEADERS
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in drop]
                message = {**message, "headers": [*kept, *extra]}
            await send(message)

        child = {**scope, "path": path, "raw_path": raw, "root_path": PREFIX}
        await admin(child, receive, send_with_headers)

    return db_admin
