"""What the password reset tests share: an app that mails through a real local SMTP server, a user of its
own per test (so that tests can change passwords in one shared network), and a client address per test
(the reset limits count per address; the test settings trust X-Forwarded-For)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from network.accounts import service as accounts
from network.accounts.schemas import RoleName, UserCreate
from network.accounts.security import sha256_hex
from network.accounts.tables import PasswordReset, User
from network.audit.tables import AuditEntry
from network.settings import MailSettings, Settings
from tests.support.client import Client
from tests.support.world import World

PASSWORD = "correct-horse-battery"
MAIL_FROM = "Test network <no-reply@network.example>"
_addresses = itertools.count(1)


def mail_settings(settings: Settings, smtp_url: str) -> Settings:
    return replace(settings, mail=MailSettings(smtp_url=smtp_url, mail_from=MAIL_FROM))


def client_ip() -> dict[str, str]:
    """A client address of its own, as the X-Forwarded-For header the test proxy would send."""
    n = next(_addresses)
    return {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250 + 1}"}


async def new_user(client: Client, world: World, role: RoleName = "webmaster", locale: str = "en") -> str:
    """A user of its own in the shared network; returns the e-mail."""
    email = f"r-{uuid.uuid4().hex[:10]}@example.com"
    data = UserCreate(email=email, password=PASSWORD, role=role, display_name=f"Reset {role}")
    out = await accounts.create_user(world.principals["network_admin"], data, client.app.state.hasher)
    if locale != "en":
        await User.update({User.locale: locale}).where(User.id == out.id)
    return email


async def user_id(world: World, email: str) -> int:
    row = await User.select(User.id).where((User.network == world.network_id) & (User.email == email)).first()
    assert row is not None
    return int(row["id"])


async def expire(token: str) -> None:
    """Move a link's expiry into the past, as an hour going by would."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    await PasswordReset.update({PasswordReset.expires_at: past}).where(
        PasswordReset.token_hash == sha256_hex(token)
    )


async def audit_rows(world: World, uid: int, prefix: str = "password_reset.") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await AuditEntry.select()
        .where(
            (AuditEntry.network == world.network_id)
            & (AuditEntry.entity == "user")
            & (AuditEntry.entity_id == str(uid))
            & AuditEntry.action.like(f"{prefix}%")
        )
        .order_by(AuditEntry.id)
    )
    return rows
