from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import FromQuery, JSONBody, QueryParameter

from network.accounts import authn, password_reset, profile, service
from network.accounts.schemas import (
    AdvertiserOut,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    EmailChange,
    GroupCreate,
    GroupOut,
    LoginIn,
    LoginOut,
    MeOut,
    PasswordChange,
    PasswordChanged,
    PasswordResetConfirm,
    PasswordResetDone,
    PasswordResetRequest,
    PasswordResetRequested,
    ProfileUpdate,
    ReferralOut,
    SignupIn,
    SignupOut,
    StatusChange,
    UserCreate,
    UserOut,
    WebmasterOut,
)
from network.http.auth import SESSION_COOKIE, roles
from network.http.client import client_ip
from network.http.deps import HasherDep, PrincipalDep, ResetsDep, SettingsDep
from network.pagination import LimitParam, OffsetParam, Page
from network.principal import Role
from network.types import IdPath

A, S, ADV, WM = Role.NETWORK_ADMIN, Role.STAFF, Role.ADVERTISER, Role.WEBMASTER
ProfileStatusFilter = Annotated[str | None, QueryParameter(pattern=r"^(pending|active|banned)$")]


class AuthController(Controller):
    path = "/api/v1"
    tags = ["auth"]

    @post("/auth/login", operation_id="auth_login", opt={"exclude_from_auth": True}, status_code=200)
    async def login(
        self, data: JSONBody[LoginIn], hasher: HasherDep, settings: SettingsDep
    ) -> Response[LoginOut]:
        """Log in to a network's cabinet; sets the session cookie and returns the CSRF token."""
        grant = await authn.login(data, hasher, settings.security.session_ttl_hours)
        body = LoginOut(
            user_id=grant.principal.user_id,
            role=grant.principal.role.value,
            csrf_token=grant.csrf_token,
            expires_at=grant.expires_at,
        )
        response = Response(body)
        response.set_cookie(
            SESSION_COOKIE,
            grant.token,
            httponly=True,
            samesite="lax",
            secure=settings.http.public_base_url.startswith("https://"),
            max_age=settings.security.session_ttl_hours * 3600,
        )
        return response

    @post("/auth/logout", operation_id="auth_logout", status_code=204)
    async def logout(self, principal: PrincipalDep) -> Response[None]:
        await authn.logout(principal)
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @post(
        "/signup/webmaster", operation_id="webmaster_signup", opt={"exclude_from_auth": True}, status_code=201
    )
    async def signup(self, data: JSONBody[SignupIn], hasher: HasherDep) -> SignupOut:
        """Webmaster self sign-up; the account waits for approval by the network's staff."""
        return await service.signup_webmaster(data, hasher)

    @post(
        "/auth/password-reset",
        operation_id="auth_password_reset_request",
        opt={"exclude_from_auth": True},
        status_code=202,
    )
    async def password_reset_request(
        self, request: Request[Any, Any, Any], data: JSONBody[PasswordResetRequest], resets: ResetsDep
    ) -> PasswordResetRequested:
        """Ask for a password reset link by e-mail. The answer is the same whether or not the account
        exists; rate limited per client address and per e-mail (429)."""
        detail = await password_reset.request(
            resets, network=data.network, email=data.email, ip=client_ip(request)
        )
        return PasswordResetRequested(status="accepted", detail=detail)

    @post(
        "/auth/password-reset/confirm",
        operation_id="auth_password_reset_confirm",
        opt={"exclude_from_auth": True},
        status_code=200,
    )
    async def password_reset_confirm(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PasswordResetConfirm],
        resets: ResetsDep,
        hasher: HasherDep,
    ) -> PasswordResetDone:
        """Choose a new password with a reset link's token. The link is used up and every open session of
        the user is revoked; API keys stay. An expired, used or unknown token is a 410."""
        return await password_reset.confirm(
            resets, hasher, token=data.token, password=data.password, ip=client_ip(request)
        )

    @get("/me", operation_id="me_get")
    async def me(self, principal: PrincipalDep) -> MeOut:
        return await service.me(principal)

    @patch("/me", operation_id="me_update")
    async def update_me(self, principal: PrincipalDep, data: JSONBody[ProfileUpdate]) -> MeOut:
        """Change one's display name and/or language (``en``, ``ru``); fields left out stay."""
        return await profile.update_profile(principal, data)

    @post("/me/email", operation_id="me_email_change", status_code=200)
    async def change_email(
        self, principal: PrincipalDep, data: JSONBody[EmailChange], hasher: HasherDep, resets: ResetsDep
    ) -> MeOut:
        """Log in with a new e-mail from now on. Needs the current password (422 on ``current_password``
        if wrong, 429 after 10 tries in 15 minutes); 409 if another account of the network has the
        e-mail. Open password reset links are revoked; the old address is told when mail is configured."""
        return await profile.change_email(principal, data, hasher, resets.throttle, resets.outbox)

    @post("/me/password", operation_id="me_password_change", status_code=200)
    async def change_password(
        self, principal: PrincipalDep, data: JSONBody[PasswordChange], hasher: HasherDep, resets: ResetsDep
    ) -> PasswordChanged:
        """A new password (10-256 characters). Needs the current one (422 / 429 as for the e-mail). Every
        other session is logged out and open reset links are revoked; this session and API keys stay."""
        return await profile.change_password(principal, data, hasher, resets.throttle, resets.outbox)


class ApiKeyController(Controller):
    path = "/api/v1/api-keys"
    tags = ["api keys"]

    @get("/", operation_id="api_keys_list")
    async def list_keys(self, principal: PrincipalDep, everyone: FromQuery[bool] = False) -> list[ApiKeyOut]:
        """Your API keys; a network admin may pass everyone=true to see all of the network's keys."""
        return await authn.list_api_keys(principal, everyone=everyone)

    @post("/", operation_id="api_key_create", status_code=201)
    async def create(
        self, principal: PrincipalDep, data: JSONBody[ApiKeyCreate], settings: SettingsDep
    ) -> ApiKeyCreated:
        """Create a key. The secret is in this response only; cpanet stores a hash."""
        return await authn.create_api_key(principal, data, settings.security.default_api_key_rate_limit)

    @delete("/{key_id:int}", operation_id="api_key_revoke", status_code=200)
    async def revoke(
        self,
        principal: PrincipalDep,
        key_id: IdPath,
        reason: Annotated[str, QueryParameter(max_length=1000)] = "",
    ) -> ApiKeyOut:
        """Revoke a key at once. A network admin revoking another user's key gives a ``reason`` (422
        otherwise), which the owner sees as ``revoked_reason``."""
        return await authn.revoke_api_key(principal, key_id, reason)


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", operation_id="users_list", opt=roles(A, S))
    async def list_users(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        role: Annotated[
            str | None, QueryParameter(pattern=r"^(network_admin|staff|advertiser|webmaster)$")
        ] = None,
    ) -> Page[UserOut]:
        return await service.list_users(principal, role, limit, offset)

    @post("/", operation_id="user_create", opt=roles(A, S), status_code=201)
    async def create(self, principal: PrincipalDep, data: JSONBody[UserCreate], hasher: HasherDep) -> UserOut:
        """Create a login; advertiser and webmaster users get an active profile unless one is named."""
        return await service.create_user(principal, data, hasher)

    @get("/{user_id:int}", operation_id="user_get", opt=roles(A, S))
    async def get_user(self, principal: PrincipalDep, user_id: IdPath) -> UserOut:
        return await service.get_user(principal, user_id)


class AdvertiserController(Controller):
    path = "/api/v1/advertisers"
    tags = ["advertisers"]

    @get("/", operation_id="advertisers_list", opt=roles(A, S))
    async def list_advertisers(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        status: ProfileStatusFilter = None,
    ) -> Page[AdvertiserOut]:
        return await service.list_advertisers(principal, status, limit, offset)

    @get("/{advertiser_id:int}", operation_id="advertiser_get", opt=roles(A, S, ADV))
    async def get_advertiser(self, principal: PrincipalDep, advertiser_id: IdPath) -> AdvertiserOut:
        return await service.get_advertiser(principal, advertiser_id)

    @post(
        "/{advertiser_id:int}/status", operation_id="advertiser_set_status", opt=roles(A, S), status_code=200
    )
    async def set_status(
        self, principal: PrincipalDep, advertiser_id: IdPath, data: JSONBody[StatusChange]
    ) -> AdvertiserOut:
        """Moderate an advertiser: pending, active or banned, with a reason the advertiser sees."""
        return await service.set_advertiser_status(principal, advertiser_id, data)


class WebmasterController(Controller):
    path = "/api/v1/webmasters"
    tags = ["webmasters"]

    @get("/", operation_id="webmasters_list", opt=roles(A, S))
    async def list_webmasters(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        status: ProfileStatusFilter = None,
    ) -> Page[WebmasterOut]:
        return await service.list_webmasters(principal, status, limit, offset)

    @get("/{webmaster_id:int}", operation_id="webmaster_get", opt=roles(A, S, WM))
    async def get_webmaster(self, principal: PrincipalDep, webmaster_id: IdPath) -> WebmasterOut:
        return await service.get_webmaster(principal, webmaster_id)

    @post("/{webmaster_id:int}/status", operation_id="webmaster_set_status", opt=roles(A, S), status_code=200)
    async def set_status(
        self, principal: PrincipalDep, webmaster_id: IdPath, data: JSONBody[StatusChange]
    ) -> WebmasterOut:
        """Moderate a webmaster: approve a sign-up, ban (with a reason) or reinstate."""
        return await service.set_webmaster_status(principal, webmaster_id, data)

    @get("/{webmaster_id:int}/referrals", operation_id="webmaster_referrals", opt=roles(A, S, WM))
    async def referrals(
        self,
        principal: PrincipalDep,
        webmaster_id: IdPath,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
    ) -> Page[ReferralOut]:
        """Webmasters who signed up with this webmaster's referral code, each with ``earned``: the
        commissions their conversions posted to the referrer so far, per currency (net of rejections and
        reversals)."""
        return await service.list_referrals(principal, webmaster_id, limit, offset)


class GroupController(Controller):
    path = "/api/v1/groups"
    tags = ["webmaster groups"]

    @get("/", operation_id="groups_list", opt=roles(A, S))
    async def list_groups(self, principal: PrincipalDep) -> list[GroupOut]:
        return await service.list_groups(principal)

    @post("/", operation_id="group_create", opt=roles(A, S), status_code=201)
    async def create(self, principal: PrincipalDep, data: JSONBody[GroupCreate]) -> GroupOut:
        return await service.create_group(principal, data)

    @get("/{group_id:int}", operation_id="group_get", opt=roles(A, S))
    async def get_group(self, principal: PrincipalDep, group_id: IdPath) -> GroupOut:
        return await service.get_group(principal, group_id)

    @put("/{group_id:int}/members/{webmaster_id:int}", operation_id="group_member_add", opt=roles(A, S))
    async def add_member(self, principal: PrincipalDep, group_id: IdPath, webmaster_id: IdPath) -> GroupOut:
        return await service.set_group_member(principal, group_id, webmaster_id, member=True)

    @delete(
        "/{group_id:int}/members/{webmaster_id:int}",
        operation_id="group_member_remove",
        opt=roles(A, S),
        status_code=200,
    )
    async def remove_member(
        self, principal: PrincipalDep, group_id: IdPath, webmaster_id: IdPath
    ) -> GroupOut:
        return await service.set_group_member(principal, group_id, webmaster_id, member=False)
