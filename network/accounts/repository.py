"""Every query of the accounts context; tenant_id is a required keyword wherever a tenant applies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.columns.combination import Where

from network.accounts.tables import (
    Advertiser,
    ApiKey,
    PasswordReset,
    User,
    UserSession,
    Webmaster,
    WebmasterGroup,
    WebmasterGroupMember,
)

Row = dict[str, Any]


async def user(*, tenant_id: int, user_id: int) -> Row | None:
    row: Row | None = await User.select().where((User.network == tenant_id) & (User.id == user_id)).first()
    return row


async def user_by_email(*, tenant_id: int, email: str) -> Row | None:
    row: Row | None = await User.select().where((User.network == tenant_id) & (User.email == email)).first()
    return row


async def insert_user(*, tenant_id: int, **values: Any) -> int:
    rows = await User.insert(User(network=tenant_id, **values)).returning(User.id)
    return int(rows[0]["id"])


async def users_page(*, tenant_id: int, role: str | None, limit: int, offset: int) -> tuple[list[Row], int]:
    where: Where | Any = User.network == tenant_id
    if role:
        where &= User.role == role
    rows = await User.select().where(where).order_by(User.id).limit(limit).offset(offset)
    return rows, await User.count().where(where)


async def advertiser(*, tenant_id: int, advertiser_id: int) -> Row | None:
    row: Row | None = (
        await Advertiser.select()
        .where((Advertiser.network == tenant_id) & (Advertiser.id == advertiser_id))
        .first()
    )
    return row


async def insert_advertiser(*, tenant_id: int, name: str, company: str, status: str) -> int:
    rows = await Advertiser.insert(
        Advertiser(network=tenant_id, name=name, company=company, status=status)
    ).returning(Advertiser.id)
    return int(rows[0]["id"])


async def set_advertiser_status(*, tenant_id: int, advertiser_id: int, status: str, reason: str) -> None:
    await Advertiser.update({Advertiser.status: status, Advertiser.status_reason: reason}).where(
        (Advertiser.network == tenant_id) & (Advertiser.id == advertiser_id)
    )


async def advertisers_page(
    *, tenant_id: int, status: str | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    where: Any = Advertiser.network == tenant_id
    if status:
        where &= Advertiser.status == status
    rows = await Advertiser.select().where(where).order_by(Advertiser.id).limit(limit).offset(offset)
    return rows, await Advertiser.count().where(where)


async def webmaster(*, tenant_id: int, webmaster_id: int) -> Row | None:
    row: Row | None = (
        await Webmaster.select()
        .where((Webmaster.network == tenant_id) & (Webmaster.id == webmaster_id))
        .first()
    )
    return row


async def webmaster_by_referral_code(*, tenant_id: int, code: str) -> Row | None:
    row: Row | None = (
        await Webmaster.select()
        .where((Webmaster.network == tenant_id) & (Webmaster.referral_code == code))
        .first()
    )
    return row


async def insert_webmaster(
    *,
    tenant_id: int,
    name: str,
    status: str,
    referral_code: str,
    referred_by: int | None,
    traffic_sources: str,
) -> int:
    rows = await Webmaster.insert(
        Webmaster(
            network=tenant_id,
            name=name,
            status=status,
            referral_code=referral_code,
            referred_by=referred_by,
            traffic_sources=traffic_sources,
        )
    ).returning(Webmaster.id)
    return int(rows[0]["id"])


async def set_webmaster_status(*, tenant_id: int, webmaster_id: int, status: str, reason: str) -> None:
    await Webmaster.update({Webmaster.status: status, Webmaster.status_reason: reason}).where(
        (Webmaster.network == tenant_id) & (Webmaster.id == webmaster_id)
    )


async def webmasters_page(
    *, tenant_id: int, status: str | None, referred_by: int | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    where: Any = Webmaster.network == tenant_id
    if status:
        where &= Webmaster.status == status
    if referred_by is not None:
        where &= Webmaster.referred_by == referred_by
    rows = await Webmaster.select().where(where).order_by(Webmaster.id).limit(limit).offset(offset)
    return rows, await Webmaster.count().where(where)


async def api_key_by_prefix(prefix: str) -> Row | None:
    # The key itself names its tenant: this lookup precedes tenant resolution by design.
    row: Row | None = await ApiKey.select().where(ApiKey.prefix == prefix).first()
    return row


async def insert_api_key(
    *, tenant_id: int, user_id: int, name: str, prefix: str, secret_hash: str, rate_limit: int
) -> int:
    rows = await ApiKey.insert(
        ApiKey(
            network=tenant_id,
            user=user_id,
            name=name,
            prefix=prefix,
            secret_hash=secret_hash,
            rate_limit_per_minute=rate_limit,
        )
    ).returning(ApiKey.id)
    return int(rows[0]["id"])


async def api_key(*, tenant_id: int, key_id: int) -> Row | None:
    row: Row | None = (
        await ApiKey.select().where((ApiKey.network == tenant_id) & (ApiKey.id == key_id)).first()
    )
    return row


async def api_keys(*, tenant_id: int, user_id: int | None) -> list[Row]:
    where: Any = ApiKey.network == tenant_id
    if user_id is not None:
        where &= ApiKey.user == user_id
    rows: list[Row] = await ApiKey.select().where(where).order_by(ApiKey.id)
    return rows


async def revoke_api_key(*, tenant_id: int, key_id: int, at: datetime, reason: str = "") -> None:
    await ApiKey.update({ApiKey.revoked_at: at, ApiKey.revoked_reason: reason}).where(
        (ApiKey.network == tenant_id) & (ApiKey.id == key_id)
    )


async def touch_api_key(*, tenant_id: int, key_id: int, at: datetime) -> None:
    await ApiKey.update({ApiKey.last_used_at: at}).where(
        (ApiKey.network == tenant_id) & (ApiKey.id == key_id)
    )


async def session_by_token_hash(token_hash: str) -> Row | None:
    # As with API keys, the session token names its tenant.
    row: Row | None = await UserSession.select().where(UserSession.token_hash == token_hash).first()
    return row


async def insert_session(
    *, tenant_id: int, user_id: int, token_hash: str, csrf_token: str, expires_at: datetime
) -> int:
    rows = await UserSession.insert(
        UserSession(
            network=tenant_id,
            user=user_id,
            token_hash=token_hash,
            csrf_token=csrf_token,
            expires_at=expires_at,
        )
    ).returning(UserSession.id)
    return int(rows[0]["id"])


async def revoke_session(*, tenant_id: int, session_id: int, at: datetime) -> None:
    await UserSession.update({UserSession.revoked_at: at}).where(
        (UserSession.network == tenant_id) & (UserSession.id == session_id)
    )


async def group(*, tenant_id: int, group_id: int) -> Row | None:
    row: Row | None = (
        await WebmasterGroup.select()
        .where((WebmasterGroup.network == tenant_id) & (WebmasterGroup.id == group_id))
        .first()
    )
    return row


async def group_by_key(*, tenant_id: int, key: str) -> Row | None:
    row: Row | None = (
        await WebmasterGroup.select()
        .where((WebmasterGroup.network == tenant_id) & (WebmasterGroup.key == key))
        .first()
    )
    return row


async def insert_group(*, tenant_id: int, key: str, name: str) -> int:
    rows = await WebmasterGroup.insert(WebmasterGroup(network=tenant_id, key=key, name=name)).returning(
        WebmasterGroup.id
    )
    return int(rows[0]["id"])


async def groups(*, tenant_id: int) -> list[Row]:
    rows: list[Row] = (
        await WebmasterGroup.select().where(WebmasterGroup.network == tenant_id).order_by(WebmasterGroup.id)
    )
    return rows


async def group_members(*, tenant_id: int, group_id: int) -> list[int]:
    rows = await WebmasterGroupMember.select(WebmasterGroupMember.webmaster).where(
        (WebmasterGroupMember.network == tenant_id) & (WebmasterGroupMember.group == group_id)
    )
    return sorted(int(r["webmaster"]) for r in rows)


async def webmaster_group_keys(*, tenant_id: int, webmaster_id: int) -> list[str]:
    rows = await WebmasterGroupMember.select(WebmasterGroupMember.group.key).where(
        (WebmasterGroupMember.network == tenant_id) & (WebmasterGroupMember.webmaster == webmaster_id)
    )
    return sorted(str(r["group.key"]) for r in rows)


async def webmaster_group_ids(*, tenant_id: int, webmaster_id: int) -> list[int]:
    rows = await WebmasterGroupMember.select(WebmasterGroupMember.group).where(
        (WebmasterGroupMember.network == tenant_id) & (WebmasterGroupMember.webmaster == webmaster_id)
    )
    return sorted(int(r["group"]) for r in rows)


async def add_group_member(*, tenant_id: int, group_id: int, webmaster_id: int) -> bool:
    exists = await WebmasterGroupMember.exists().where(
        (WebmasterGroupMember.network == tenant_id)
        & (WebmasterGroupMember.group == group_id)
        & (WebmasterGroupMember.webmaster == webmaster_id)
    )
    if exists:
        return False
    await WebmasterGroupMember.insert(
        WebmasterGroupMember(network=tenant_id, group=group_id, webmaster=webmaster_id)
    )
    return True


async def remove_group_member(*, tenant_id: int, group_id: int, webmaster_id: int) -> bool:
    rows = (
        await WebmasterGroupMember.delete()
        .where(
            (WebmasterGroupMember.network == tenant_id)
            & (WebmasterGroupMember.group == group_id)
            & (WebmasterGroupMember.webmaster == webmaster_id)
        )
        .returning(WebmasterGroupMember.id)
    )
    return bool(rows)


async def set_password_hash(*, tenant_id: int, user_id: int, password_hash: str) -> None:
    await User.update({User.password_hash: password_hash}).where(
        (User.network == tenant_id) & (User.id == user_id)
    )


async def revoke_user_sessions(
    *, tenant_id: int, user_id: int, at: datetime, keep_session_id: int | None = None
) -> int:
    """Log the user out everywhere (but in ``keep_session_id``, the session making the change)."""
    where = (
        (UserSession.network == tenant_id)
        & (UserSession.user == user_id)
        & UserSession.revoked_at.is_null()
        & (UserSession.expires_at > at)
    )
    if keep_session_id is not None:
        where = where & (UserSession.id != keep_session_id)
    rows = await UserSession.update({UserSession.revoked_at: at}).where(where).returning(UserSession.id)
    return len(rows)


async def update_user(*, tenant_id: int, user_id: int, **values: Any) -> None:
    """Set profile columns of one user of the network (``display_name``, ``locale``, ``email``)."""
    columns = {getattr(User, name): value for name, value in values.items()}
    await User.update(columns).where((User.network == tenant_id) & (User.id == user_id))


async def insert_password_reset(
    *,
    tenant_id: int,
    user_id: int,
    token_hash: str,
    expires_at: datetime,
    requested_ip: str,
    issued_by: int | None,
) -> int:
    rows = await PasswordReset.insert(
        PasswordReset(
            network=tenant_id,
            user=user_id,
            token_hash=token_hash,
            expires_at=expires_at,
            requested_ip=requested_ip,
            issued_by=issued_by,
        )
    ).returning(PasswordReset.id)
    return int(rows[0]["id"])


async def password_reset_by_token_hash(token_hash: str) -> Row | None:
    # As with sessions, the token names its tenant.
    row: Row | None = await PasswordReset.select().where(PasswordReset.token_hash == token_hash).first()
    return row


async def revoke_password_resets(*, tenant_id: int, user_id: int, at: datetime) -> int:
    """Revoke the user's links that are still open (neither used nor revoked)."""
    rows = (
        await PasswordReset.update({PasswordReset.revoked_at: at})
        .where(
            (PasswordReset.network == tenant_id)
            & (PasswordReset.user == user_id)
            & PasswordReset.used_at.is_null()
            & PasswordReset.revoked_at.is_null()
        )
        .returning(PasswordReset.id)
    )
    return len(rows)


async def use_password_reset(*, tenant_id: int, reset_id: int, at: datetime) -> bool:
    """Mark a link used, only if it is still open and unexpired: one conditional update, so that two
    requests racing with the same link cannot both succeed."""
    rows = (
        await PasswordReset.update({PasswordReset.used_at: at})
        .where(
            (PasswordReset.network == tenant_id)
            & (PasswordReset.id == reset_id)
            & PasswordReset.used_at.is_null()
            & PasswordReset.revoked_at.is_null()
            & (PasswordReset.expires_at > at)
        )
        .returning(PasswordReset.id)
    )
    return bool(rows)
