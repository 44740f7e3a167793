"""Every API operation, who may call it, and a valid request for it.

This table is written independently of the controllers' own declarations: the role-matrix test compares
the two, so a route whose guard drifts from this table fails.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from network.ledger import accounts as ledger_accounts
from network.ledger import repository as ledger_repo
from network.ledger import service as ledger
from network.ledger.schemas import WithdrawalIn
from network.transaction import atomic
from tests.support.lists import LIST_PARAMS
from tests.support.matrix_conversions import conversion_state, reset_token
from tests.support.smartlinks import SMARTLINK_PARAMS
from tests.support.world import World

A, S, ADV, WM = "network_admin", "staff", "advertiser", "webmaster"
ALL = frozenset({A, S, ADV, WM})
STAFF = frozenset({A, S})
PUBLIC = frozenset({"anonymous", A, S, ADV, WM})

Body = Callable[[World, str], dict[str, Any] | None]


def _none(world: World, role: str) -> None:
    return None


def _password(role: str) -> str:
    """The password tests/support/world.py gives each role's user (anonymous: any)."""
    return "admin-password" if role == A else "correct-horse-battery"


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
    params: dict[str, Callable[[World, str], int | str]] = field(default_factory=dict)
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


def _seeded(name: str) -> Callable[[World, str], int | str]:
    return lambda w, r: conversion_state(w)[name]


_PB: dict[str, Callable[[World, str], int | str]] = {"pb_token": _seeded("pb_token")}
_CONV: dict[str, Callable[[World, str], int | str]] = {"conversion_id": _seeded("conversion_id")}
CONVERSION_OPS: dict[str, Op] = {
    "postback_get": Op("GET", "/postback", PUBLIC, params=_PB, query="token={pb_token}&click_id=unknown"),
    "postback_post": Op("POST", "/postback", PUBLIC, params=_PB, query="token={pb_token}&click_id=unknown"),
    "postback_tune": Op(
        "GET", "/aff_lsr", PUBLIC, params=_PB, query="security_token={pb_token}&transaction_id=unknown"
    ),
    "postback_pixel": Op("GET", "/pixel.gif", PUBLIC, params=_PB, query="token={pb_token}&offer_id=1"),
    "conversions_list": Op("GET", "/api/v1/conversions", ALL),
    "conversions_get": Op("GET", "/api/v1/conversions/{conversion_id}", ALL, params=_CONV),
    "conversions_transition": Op(
        "POST",
        "/api/v1/conversions/{conversion_id}/status",
        frozenset({A, S, ADV}),
        lambda w, r: {"to": "hold", "comment": "matrix"},
        _CONV,
    ),
    "conversions_bulk_transition": Op(
        "POST",
        "/api/v1/conversions/bulk-status",
        frozenset({A, S, ADV}),
        lambda w, r: {"ids": [int(conversion_state(w)["conversion_id"])], "to": "approved"},
    ),
    "postback_credentials_create": Op(
        "POST",
        "/api/v1/advertisers/{advertiser_id}/postback-credentials",
        frozenset({A, S, ADV}),
        lambda w, r: {},
    ),
    "postback_credentials_list": Op(
        "GET", "/api/v1/advertisers/{advertiser_id}/postback-credentials", frozenset({A, S, ADV})
    ),
    "postback_credentials_revoke": Op(
        "DELETE",
        "/api/v1/advertisers/{advertiser_id}/postback-credentials/{credential_id}",
        frozenset({A, S, ADV}),
        params={"credential_id": _seeded("credential_id")},
    ),
    "postbacks_log": Op("GET", "/api/v1/postbacks/log", frozenset({A, S, ADV})),
    "coupons_create": Op(
        "POST",
        "/api/v1/offers/{offer_id}/coupons",
        frozenset({A, S, ADV}),
        lambda w, r: {"webmaster_id": w.webmaster_id, "code": f"C{uuid.uuid4().hex[:10]}"},
    ),
    "coupons_list": Op("GET", "/api/v1/offers/{offer_id}/coupons", ALL),
    "leads_register": Op(
        "POST",
        "/api/v1/offers/{offer_id}/leads",
        frozenset({WM}),
        lambda w, r: {"lead_key": uuid.uuid4().hex},
    ),
    "leads_list": Op("GET", "/api/v1/offers/{offer_id}/leads", ALL),
    "finance_policy_get": Op("GET", "/api/v1/network/finance", STAFF),
    "finance_policy_put": Op("PUT", "/api/v1/network/finance", frozenset({A}), lambda w, r: {}),
    "postback_endpoints_create": Op(
        "POST",
        "/api/v1/postback-endpoints",
        frozenset({WM}),
        lambda w, r: {"url": "https://tracker.example/pb?c={click_id}"},
    ),
    "postback_endpoints_list": Op("GET", "/api/v1/postback-endpoints", frozenset({A, S, WM})),
    "postback_endpoints_update": Op(
        "PATCH",
        "/api/v1/postback-endpoints/{endpoint_id}",
        frozenset({WM}),
        lambda w, r: {"goals": []},
        {"endpoint_id": _seeded("endpoint_id")},
    ),
    "postback_endpoints_disable": Op(
        "DELETE",
        "/api/v1/postback-endpoints/{endpoint_id}",
        frozenset({WM}),
        params={"endpoint_id": _seeded("endpoint_id")},
    ),
    "postback_endpoints_test": Op(
        "POST",
        "/api/v1/postback-endpoints/{endpoint_id}/test",
        frozenset({WM}),
        params={"endpoint_id": _seeded("endpoint_id")},
    ),
    "postback_deliveries_list": Op("GET", "/api/v1/postback-deliveries", frozenset({A, S, WM})),
    "postback_deliveries_get": Op(
        "GET",
        "/api/v1/postback-deliveries/{delivery_id}",
        frozenset({A, S, WM}),
        params={"delivery_id": _seeded("delivery_id")},
    ),
    "postback_deliveries_replay": Op(
        "POST",
        "/api/v1/postback-deliveries/{delivery_id}/replay",
        frozenset({A, S, WM}),
        params={"delivery_id": _seeded("delivery_id")},
    ),
}


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
    "auth_password_reset_request": Op(
        "POST", "/api/v1/auth/password-reset", PUBLIC, lambda w, r: {"network": w.slug, "email": _email()}
    ),
    "auth_password_reset_confirm": Op(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        PUBLIC,
        lambda w, r: {"token": reset_token(w), "password": "a-new-long-password"},
    ),
    "auth_logout": Op("POST", "/api/v1/auth/logout", ALL),
    "me_get": Op("GET", "/api/v1/me", ALL),
    "me_update": Op(
        "PATCH", "/api/v1/me", ALL, lambda w, r: {"display_name": f"{r} renamed", "locale": "ru"}
    ),
    "me_email_change": Op(
        "POST", "/api/v1/me/email", ALL, lambda w, r: {"email": _email(), "current_password": _password(r)}
    ),
    "me_password_change": Op(
        "POST",
        "/api/v1/me/password",
        ALL,
        lambda w, r: {"current_password": _password(r), "new_password": f"{_password(r)}-2"},
    ),
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
    "smartlink_create": Op(
        "POST",
        "/api/v1/smartlinks",
        frozenset({A, S, WM}),
        lambda w, r: {"name": "Matrix", "offers": [{"offer_id": w.offers["public"], "weight": 3}]},
    ),
    "smartlinks_list": Op("GET", "/api/v1/smartlinks", frozenset({A, S, WM})),
    "smartlink_get": Op(
        "GET", "/api/v1/smartlinks/{smartlink_id}", frozenset({A, S, WM}), params=SMARTLINK_PARAMS
    ),
    "smartlink_update": Op(
        "PATCH",
        "/api/v1/smartlinks/{smartlink_id}",
        frozenset({A, S, WM}),
        lambda w, r: {"name": f"Matrix {r}"},
        SMARTLINK_PARAMS,
    ),
    "audit_list": Op("GET", "/api/v1/audit", STAFF),
    "traffic_lists_list": Op("GET", "/api/v1/traffic-lists", STAFF),
    "traffic_list_add": Op(
        "POST",
        "/api/v1/traffic-lists",
        STAFF,
        lambda w, r: {"kind": "ip", "action": "block", "value": f"203.0.113.{len(r)}", "reason": "matrix"},
    ),
    "traffic_list_get": Op("GET", "/api/v1/traffic-lists/{entry_id}", STAFF, params=LIST_PARAMS),
    "traffic_list_remove": Op(
        "POST",
        "/api/v1/traffic-lists/{entry_id}/remove",
        STAFF,
        lambda w, r: {"reason": "matrix"},
        LIST_PARAMS,
    ),
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
    **CONVERSION_OPS,
    "balance_get": Op("GET", "/api/v1/balance", ALL),
    "ledger_list": Op("GET", "/api/v1/ledger", ALL),
    "advertiser_deposit": Op(
        "POST",
        "/api/v1/advertisers/{advertiser_id}/deposits",
        STAFF,
        lambda w, r: {"amount": "10.00", "currency": "USD", "note": "matrix"},
    ),
    "withdrawal_create": Op("POST", "/api/v1/withdrawals", frozenset({WM}), lambda w, r: _withdrawal_body(w)),
    "withdrawals_list": Op("GET", "/api/v1/withdrawals", frozenset({A, S, WM})),
    "withdrawal_approve": Op(
        "POST",
        "/api/v1/withdrawals/{withdrawal_id}/approve",
        STAFF,
        params={"withdrawal_id": lambda w, r: ledger_state(w)["requested"]},
    ),
    "withdrawal_reject": Op(
        "POST",
        "/api/v1/withdrawals/{withdrawal_id}/reject",
        STAFF,
        lambda w, r: {"reason": "matrix"},
        {"withdrawal_id": lambda w, r: ledger_state(w)["rejectable"]},
    ),
    "payout_batches_list": Op("GET", "/api/v1/payout-batches", STAFF),
    "payout_batch_get": Op(
        "GET",
        "/api/v1/payout-batches/{batch_id}",
        STAFF,
        params={"batch_id": lambda w, r: ledger_state(w)["batch"]},
    ),
    "payout_batch_csv": Op(
        "GET",
        "/api/v1/payout-batches/{batch_id}/csv",
        STAFF,
        params={"batch_id": lambda w, r: ledger_state(w)["batch"]},
    ),
    "payout_batch_pay": Op(
        "POST",
        "/api/v1/payout-batches/{batch_id}/paid",
        STAFF,
        params={"batch_id": lambda w, r: ledger_state(w)["batch"]},
    ),
    "stats_report": Op("GET", "/api/v1/stats", ALL),
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
        "withdrawal_id",
        "batch_id",
    ):
        token = "{" + name + "}"
        if token in path:
            value = op.params[name](world, role) if name in op.params else _default_param(world, name, role)
            path = path.replace(token, str(value))
    for name, value_of in op.params.items():
        path = path.replace("{" + name + "}", str(value_of(world, role)))
    return path


# The withdrawal and payout routes need money, withdrawals and a batch. Bodies and path parameters are plain
# functions, so that state is made once per world on a worker thread with its own event loop: the test engines
# open a connection per query (pool_max=0), so nothing is shared with the test's loop, which waits meanwhile.
_LEDGER: dict[str, dict[str, int]] = {}


def ledger_state(world: World) -> dict[str, int]:
    if world.tag not in _LEDGER:
        with ThreadPoolExecutor(max_workers=1) as pool:
            _LEDGER[world.tag] = pool.submit(asyncio.run, _seed_ledger(world)).result()
    return _LEDGER[world.tag]


async def _seed_ledger(world: World) -> dict[str, int]:
    wm, staff = world.principals[WM], world.principals[S]
    async with atomic():
        await ledger_repo.post(
            tenant_id=world.network_id,
            kind="adjustment",
            key="matrix-seed",
            legs=[
                ledger_repo.Leg(ledger_accounts.PAYOUT_COST, "USD", -10_000),
                ledger_repo.Leg(ledger_accounts.wm_available(world.webmaster_id), "USD", 10_000),
            ],
        )
    ids = [(await ledger.request_withdrawal(wm, WithdrawalIn(amount="1.00"))).id for _ in range(3)]
    batch = (await ledger.approve(staff, ids[2])).batch_id
    assert batch is not None
    return {"requested": ids[0], "rejectable": ids[1], "batch": batch}


def _withdrawal_body(world: World) -> dict[str, Any]:
    ledger_state(world)
    return {"amount": "0.01", "currency": "USD"}
