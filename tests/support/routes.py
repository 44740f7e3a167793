"""Every API operation, who may call it, and a valid request for it.

This table is written independently of the controllers' own declarations: the role-matrix test compares
the two, so a route whose guard drifts from this table fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.world import World

A, S, ADV, WM = "network_admin", "staff", "advertiser", "webmaster"
ALL = frozenset({A, S, ADV, WM})
STAFF = frozenset({A, S})
PUBLIC = frozenset({"anonymous", A, S, ADV, WM})

Body = Callable[[World, str], dict[str, Any] | None]


def _none(world: World, role: str) -> None:
    return None


def _email() -> str:
    return f"u-{uuid.uuid4().hex[:10]}@example.com"


def _offer_body(world: World, role: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Matrix offer",
        "goals": [{"key": "lead", "name": "Lead"}],
        "landings": [{"name": "Main", "url_template": "https://m.example/l?c={click_id}"}],
    }
    if role in STAFF:
        body["advertiser_id"] = world.advertiser_id
    return body


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    roles: frozenset[str]
    body: Body = _none
    # Which world ids fill the path parameters, when the default (the first matching id) is not right.
    params: dict[str, Callable[[World, str], int]] = field(default_factory=dict)
    # Query string template, filled like the path (for routes that take ids in the query).
    query: str = ""


def _default_param(world: World, name: str, role: str) -> int:
    return {
        "offer_id": world.offers["public"],
        "webmaster_id": world.webmaster_id,
        "advertiser_id": world.advertiser_id,
        "user_id": world.user_ids[WM],
        # Each caller revokes a spare key of its own, so the keys the test authenticates with stay valid.
        "key_id": world.spare_key_ids.get(role, world.spare_key_ids[WM]),
        "group_id": world.group_id,
        "version_id": world.terms["current"],
        "version2_id": world.terms["upcoming"],
    }[name]


OPS: dict[str, Op] = {
    "health": Op("GET", "/health", PUBLIC),
    "auth_login": Op(
        "POST",
        "/api/v1/auth/login",
        PUBLIC,
        lambda w, r: {
            "network": w.slug,
            "email": f"wm-{w.tag}@example.com",
            "password": "correct-horse-battery",
        },
    ),
    "webmaster_signup": Op(
        "POST",
        "/api/v1/signup/webmaster",
        PUBLIC,
        lambda w, r: {"network": w.slug, "email": _email(), "password": "a-long-password", "name": "New"},
    ),
    "auth_logout": Op("POST", "/api/v1/auth/logout", ALL),
    "me_get": Op("GET", "/api/v1/me", ALL),
    "network_get": Op("GET", "/api/v1/network", ALL),
    "network_update": Op("PATCH", "/api/v1/network", frozenset({A}), lambda w, r: {"name": "Renamed"}),
    "api_keys_list": Op("GET", "/api/v1/api-keys", ALL),
    "api_key_create": Op("POST", "/api/v1/api-keys", ALL, lambda w, r: {"name": "another"}),
    "api_key_revoke": Op("DELETE", "/api/v1/api-keys/{key_id}", ALL),
    "users_list": Op("GET", "/api/v1/users", STAFF),
    "user_create": Op(
        "POST",
        "/api/v1/users",
        STAFF,
        lambda w, r: {"email": _email(), "password": "a-long-password", "role": "webmaster"},
    ),
    "user_get": Op("GET", "/api/v1/users/{user_id}", STAFF),
    "advertisers_list": Op("GET", "/api/v1/advertisers", STAFF),
    "advertiser_get": Op("GET", "/api/v1/advertisers/{advertiser_id}", frozenset({A, S, ADV})),
    "advertiser_set_status": Op(
        "POST",
        "/api/v1/advertisers/{advertiser_id}/status",
        STAFF,
        lambda w, r: {"status": "banned", "reason": "matrix"},
    ),
    "webmasters_list": Op("GET", "/api/v1/webmasters", STAFF),
    "webmaster_get": Op("GET", "/api/v1/webmasters/{webmaster_id}", frozenset({A, S, WM})),
    "webmaster_set_status": Op(
        "POST",
        "/api/v1/webmasters/{webmaster_id}/status",
        STAFF,
        lambda w, r: {"status": "banned", "reason": "matrix"},
        {"webmaster_id": lambda w, r: w.other_webmaster_id},
    ),
    "webmaster_referrals": Op("GET", "/api/v1/webmasters/{webmaster_id}/referrals", frozenset({A, S, WM})),
    "groups_list": Op("GET", "/api/v1/groups", STAFF),
    "group_create": Op(
        "POST", "/api/v1/groups", STAFF, lambda w, r: {"key": f"g{uuid.uuid4().hex[:8]}", "name": "G"}
    ),
    "group_get": Op("GET", "/api/v1/groups/{group_id}", STAFF),
    "group_member_add": Op("PUT", "/api/v1/groups/{group_id}/members/{webmaster_id}", STAFF),
    "group_member_remove": Op("DELETE", "/api/v1/groups/{group_id}/members/{webmaster_id}", STAFF),
    "offers_list": Op("GET", "/api/v1/offers", ALL),
    "offer_create": Op("POST", "/api/v1/offers", frozenset({A, S, ADV}), _offer_body),
    "offer_get": Op("GET", "/api/v1/offers/{offer_id}", ALL),
    "offer_update": Op(
        "PATCH", "/api/v1/offers/{offer_id}", frozenset({A, S, ADV}), lambda w, r: {"category": "x"}
    ),
    "offer_transition": Op(
        "POST",
        "/api/v1/offers/{offer_id}/transitions",
        frozenset({A, S, ADV}),
        lambda w, r: {"to": "paused", "reason": "matrix"},
    ),
    "offer_access_request": Op(
        "POST",
        "/api/v1/offers/{offer_id}/access",
        frozenset({WM}),
        lambda w, r: {"message": "hi"},
        {"offer_id": lambda w, r: w.offers["private"]},
    ),
    "offer_access_list": Op("GET", "/api/v1/offers/{offer_id}/access", frozenset({A, S, ADV})),
    "offer_access_decide": Op(
        "POST",
        "/api/v1/offers/{offer_id}/access/{webmaster_id}/decision",
        frozenset({A, S, ADV}),
        lambda w, r: {"decision": "approve"},
        {
            "offer_id": lambda w, r: w.offers["approval_required"],
            "webmaster_id": lambda w, r: w.other_webmaster_id,
        },
    ),
    "offer_access_revoke": Op(
        "POST",
        "/api/v1/offers/{offer_id}/access/{webmaster_id}/revoke",
        frozenset({A, S, ADV}),
        lambda w, r: {"reason": "matrix"},
        {
            "offer_id": lambda w, r: w.offers["approval_required"],
            "webmaster_id": lambda w, r: w.other_webmaster_id,
        },
    ),
    "offer_invite": Op(
        "POST",
        "/api/v1/offers/{offer_id}/invitations",
        frozenset({A, S, ADV}),
        lambda w, r: {"webmaster_id": w.other_webmaster_id},
        {"offer_id": lambda w, r: w.offers["private"]},
    ),
    "tracking_link_create": Op(
        "POST", "/api/v1/offers/{offer_id}/links", frozenset({WM}), lambda w, r: {"sub1": "a"}
    ),
    "my_offer_access": Op("GET", "/api/v1/my/offer-access", frozenset({WM})),
    "audit_list": Op("GET", "/api/v1/audit", STAFF),
    "terms_publish": Op(
        "POST",
        "/api/v1/offers/{offer_id}/terms",
        frozenset({A, S, ADV}),
        lambda w, r: {"rules": {"payout": 3, "revenue": 5}, "note": "matrix"},
    ),
    "terms_list": Op("GET", "/api/v1/offers/{offer_id}/terms", ALL),
    "terms_get": Op("GET", "/api/v1/offers/{offer_id}/terms/{version_id}", ALL),
    "terms_dry_run": Op(
        "POST",
        "/api/v1/offers/{offer_id}/terms/dry-run",
        frozenset({A, S, ADV}),
        lambda w, r: {"version_id": w.terms["current"], "context": {"goal": "lead"}},
    ),
    "terms_backtest": Op(
        "POST",
        "/api/v1/offers/{offer_id}/terms/backtest",
        frozenset({A, S, ADV}),
        lambda w, r: {
            "draft": {"payout": 4, "revenue": 6},
            "samples": [{"webmaster": {"id": 1}, "goal": "lead"}],
        },
    ),
    "terms_diff": Op(
        "GET",
        "/api/v1/offers/{offer_id}/terms/diff",
        frozenset({A, S, ADV}),
        query="from_version={version_id}&to_version={version2_id}",
    ),
    "terms_accept": Op(
        "POST", "/api/v1/offers/{offer_id}/terms/{version_id}/acceptance", frozenset({WM}), lambda w, r: {}
    ),
    "terms_validate": Op(
        "POST", "/api/v1/terms/validate", frozenset({A, S, ADV}), lambda w, r: {"payout": 1, "revenue": 2}
    ),
    "my_terms": Op("GET", "/api/v1/my/terms", frozenset({WM})),
}


def path_for(op: Op, world: World, role: str = WM) -> str:
    path = op.path + (f"?{op.query}" if op.query else "")
    for name in (
        "offer_id",
        "webmaster_id",
        "advertiser_id",
        "user_id",
        "key_id",
        "group_id",
        "version_id",
        "version2_id",
    ):
        token = "{" + name + "}"
        if token in path:
            value = op.params[name](world, role) if name in op.params else _default_param(world, name, role)
            path = path.replace(token, str(value))
    return path
