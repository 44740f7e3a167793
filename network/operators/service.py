"""Operators: piccolo ``BaseUser`` rows with ``admin`` set, created and deactivated from the command line.

An operator belongs to no network, and an audit row needs one (``audit_entry.network`` is required), so
creating or deactivating an operator is written to the ``cpanet.operators`` log instead of the audit log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase

from network.db import bind_tables, build_engine, start, stop
from network.errors import ConflictError, NotFoundError, ValidationError
from network.settings import Settings

log = logging.getLogger("cpanet.operators")

# As long as a network login's (network/accounts/schemas.py); piccolo refuses more than 128 characters.
MIN_PASSWORD = 10
MAX_PASSWORD = 128
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
# piccolo_user.email is unique and required: without --email an operator gets an address under .invalid
# (RFC 2606), which never receives mail, instead of an empty string that a second operator would clash with.
NO_MAIL_DOMAIN = "operators.invalid"


@dataclass(frozen=True)
class Operator:
    id: int
    username: str
    email: str
    active: bool
    superuser: bool
    last_login: datetime | None


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[None]:
    """The tables bound to the settings' database, for a command that runs outside the app."""
    engine = build_engine(settings.database)
    bind_tables(engine)
    await start(engine, settings.database)
    try:
        yield
    finally:
        await stop(engine)


def _operator(row: dict[str, object]) -> Operator:
    last_login = row["last_login"]
    return Operator(
        id=int(str(row["id"])),
        username=str(row["username"]),
        email=str(row["email"]),
        active=bool(row["active"]),
        superuser=bool(row["superuser"]),
        last_login=last_login if isinstance(last_login, datetime) else None,
    )


_COLUMNS = (
    BaseUser.id,
    BaseUser.username,
    BaseUser.email,
    BaseUser.active,
    BaseUser.superuser,
    BaseUser.last_login,
)


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(
            f"the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long", field="password"
        )


async def create(username: str, password: str, *, email: str = "", superuser: bool = False) -> Operator:
    """A new active operator who may log in to the table browser."""
    if not USERNAME.match(username):
        raise ValidationError("a username is 1 to 100 letters, digits or . _ @ -", field="username")
    _check_password(password)
    email = email.strip() or f"{username}@{NO_MAIL_DOMAIN}"
    if await BaseUser.exists().where(BaseUser.username == username):
        raise ConflictError(f"an operator named {username!r} already exists", field="username")
    if await BaseUser.exists().where(BaseUser.email == email):
        raise ConflictError(f"an operator with the e-mail {email!r} already exists", field="email")
    user = await BaseUser.create_user(
        username=username, password=password, email=email, active=True, admin=True, superuser=superuser
    )
    # A warning, not an info line: an account that can read every network's rows is worth noticing.
    log.warning(
        "operator created: %s (id %s, superuser %s); they may read every network's tables at /admin/db/",
        username,
        user.id,
        superuser,
    )
    return await get(username)


async def get(username: str) -> Operator:
    row = await BaseUser.select(*_COLUMNS).where(BaseUser.username == username).first()
    if row is None:
        raise NotFoundError(f"no operator named {username!r}")
    return _operator(row)


async def list_all() -> list[Operator]:
    """Every piccolo user that may log in to the table browser (admin set), active or not."""
    rows = await BaseUser.select(*_COLUMNS).where(BaseUser.admin.eq(True)).order_by(BaseUser.id)
    return [_operator(row) for row in rows]


async def deactivate(username: str) -> Operator:
    """The operator can no longer use the table browser: marked inactive (piccolo-admin refuses inactive
    users on every request) and their open sessions deleted."""
    operator = await get(username)
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.id == operator.id)
    await SessionsBase.delete().where(SessionsBase.user_id == operator.id)
    log.warning("operator deactivated: %s (id %s); their table browser sessions ended", username, operator.id)
    return await get(username)


async def set_password(username: str, password: str) -> Operator:
    """A new password (the table browser's own form is refused: it is read-only); open sessions end."""
    _check_password(password)
    operator = await get(username)
    await BaseUser.update_password(operator.id, password)
    await SessionsBase.delete().where(SessionsBase.user_id == operator.id)
    log.warning("operator password changed: %s (id %s); their sessions ended", username, operator.id)
    return operator


async def create_if_missing(username: str, password: str) -> bool:
    """For the demo: the operator, unless one of that name exists (True when created)."""
    if await BaseUser.exists().where(BaseUser.username == username):
        return False
    await create(username, password)
    return True
