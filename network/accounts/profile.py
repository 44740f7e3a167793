"""A user's own account: name, language, e-mail and password, for every role (the API's ``/api/v1/me`` and
the cabinets' ``/ui/account``).

- The name and the language change at once.
- The e-mail and the password need the current password (a stolen session alone cannot take the account
  over), rate limited per user (``ResetThrottle.current_password``). A wrong one is a 422 on
  ``current_password``, next to the field.
- A new e-mail must be free on the network (409 otherwise). The old address gets a notice when mail is
  configured, and open password reset links (sent to the old address) are revoked.
- A new password logs the user out of every other session and revokes open reset links; the session that
  made the change and the API keys stay. The user gets a notice when mail is configured.
- A change of name, e-mail or password writes an audit row (``user.profile_updated``,
  ``user.email_changed``, ``user.password_changed``) with what changed, never a password or its hash; the
  language is the reader's own preference and is not audited.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from network.accounts import repository as repo
from network.accounts import service
from network.accounts.password_reset import ResetThrottle
from network.accounts.schemas import EmailChange, MeOut, PasswordChange, PasswordChanged, ProfileUpdate
from network.accounts.security import PasswordHashing
from network.audit import service as audit
from network.errors import ConflictError, NotFoundError
from network.errors import ValidationError as DomainValidationError
from network.mail import Mail, Outbox
from network.principal import Principal
from network.tenants import repository as tenants
from network.transaction import atomic

# The notices in each language of the cabinets (User.locale); English for any other.
MAIL_TEXT: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).parent / "account_mail.json").read_text(encoding="utf-8")
)


def _now() -> datetime:
    return datetime.now(UTC)


async def _user(principal: Principal) -> dict[str, Any]:
    user = await repo.user(tenant_id=principal.network_id, user_id=principal.user_id)
    if user is None:
        raise NotFoundError("user not found")
    return user


def _check_current_password(
    user: dict[str, Any], password: str, hasher: PasswordHashing, throttle: ResetThrottle
) -> None:
    throttle.current_password(int(user["network"]), int(user["id"]))
    if not hasher.verify(str(user["password_hash"]), password):
        raise DomainValidationError("the current password is not right", field="current_password")


async def _notice(outbox: Outbox, user: dict[str, Any], kind: str, to: str, **values: str) -> None:
    if not outbox.configured:
        return
    network = await tenants.get(tenant_id=int(user["network"]))
    text = MAIL_TEXT.get(str(user["locale"]), MAIL_TEXT["en"])
    filled = {
        "network": str(network["name"]) if network else "cpanet",
        "name": str(user["display_name"] or user["email"]),
        "email": str(user["email"]),
        "at": _now().strftime("%Y-%m-%d %H:%M"),
        **values,
    }
    outbox.post(
        Mail(
            to=to,
            subject=text[f"{kind}_subject"].format_map(filled),
            text=text[f"{kind}_body"].format_map(filled),
        )
    )


async def update_profile(principal: Principal, data: ProfileUpdate) -> MeOut:
    """Change the display name and/or the language; fields left out stay as they are."""
    changes: dict[str, Any] = {}
    if data.display_name is not None:
        name = data.display_name.strip()
        if not name:
            raise DomainValidationError("the name cannot be blank", field="display_name")
        changes["display_name"] = name
    if data.locale is not None:
        changes["locale"] = data.locale
    if changes:
        async with atomic():
            user = await _user(principal)
            before = {k: user[k] for k in changes}
            if before != changes:
                await repo.update_user(tenant_id=principal.network_id, user_id=principal.user_id, **changes)
            if before.get("display_name", changes.get("display_name")) != changes.get("display_name"):
                # The name is what staff and partners see; the language is the reader's own business.
                await audit.record(
                    network_id=principal.network_id,
                    actor=principal,
                    entity="user",
                    entity_id=principal.user_id,
                    action="user.profile_updated",
                    before={"display_name": before["display_name"]},
                    after={"display_name": changes["display_name"]},
                )
    return await service.me(principal)


async def change_email(
    principal: Principal,
    data: EmailChange,
    hasher: PasswordHashing,
    throttle: ResetThrottle,
    outbox: Outbox,
) -> MeOut:
    """Log in with a new e-mail from now on (the current password confirms it)."""
    user = await _user(principal)
    _check_current_password(user, data.current_password, hasher, throttle)
    new = data.email.strip().lower()
    old = str(user["email"])
    if new != old:
        async with atomic():
            taken = await repo.user_by_email(tenant_id=principal.network_id, email=new)
            if taken is not None:
                raise ConflictError("another account on this network has this e-mail", field="email")
            at = _now()
            await repo.update_user(tenant_id=principal.network_id, user_id=principal.user_id, email=new)
            links = await repo.revoke_password_resets(
                tenant_id=principal.network_id, user_id=principal.user_id, at=at
            )
            await audit.record(
                network_id=principal.network_id,
                actor=principal,
                entity="user",
                entity_id=principal.user_id,
                action="user.email_changed",
                before={"email": old},
                after={"email": new, "reset_links_revoked": links},
            )
        await _notice(outbox, user, "email", old, old=old, new=new)
    return await service.me(principal)


async def change_password(
    principal: Principal,
    data: PasswordChange,
    hasher: PasswordHashing,
    throttle: ResetThrottle,
    outbox: Outbox,
) -> PasswordChanged:
    """A new password: every other session is logged out, this one and the API keys stay."""
    user = await _user(principal)
    _check_current_password(user, data.current_password, hasher, throttle)
    if data.new_password == data.current_password:
        raise DomainValidationError("the new password is the current one", field="new_password")
    password_hash = hasher.hash(data.new_password)  # the slow part, outside the transaction
    async with atomic():
        at = _now()
        await repo.set_password_hash(
            tenant_id=principal.network_id, user_id=principal.user_id, password_hash=password_hash
        )
        sessions = await repo.revoke_user_sessions(
            tenant_id=principal.network_id,
            user_id=principal.user_id,
            at=at,
            keep_session_id=principal.session_id,
        )
        links = await repo.revoke_password_resets(
            tenant_id=principal.network_id, user_id=principal.user_id, at=at
        )
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="user",
            entity_id=principal.user_id,
            action="user.password_changed",
            after={"sessions_revoked": sessions, "reset_links_revoked": links},
        )
    await _notice(outbox, user, "password", str(user["email"]))
    return PasswordChanged(sessions_revoked=sessions, reset_links_revoked=links)
