"""Factories: one whole network (tenant) with a user of every role, offers of every visibility, keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from network.accounts import authn
from network.accounts import service as accounts
from network.accounts.schemas import ApiKeyCreate, GroupCreate, RoleName, UserCreate
from network.accounts.security import PasswordHashing
from network.demo import _first_admin, _principal_for
from network.offers import access
from network.offers import service as offers
from network.offers.schemas import (
    AccessDecision,
    AccessRequest,
    CapIn,
    GoalIn,
    Invitation,
    LandingIn,
    OfferCreate,
    PromoIn,
    Targeting,
    Transition,
)
from network.principal import Principal
from network.tenants import service as tenants
from network.terms import service as terms
from network.terms.schemas import TermsCreate, TermsRules
from tests.support.client import Client

ROLES = ("network_admin", "staff", "advertiser", "webmaster")


@dataclass
class World:
    network_id: int
    slug: str
    tag: str
    principals: dict[str, Principal]
    keys: dict[str, str]
    key_ids: dict[str, int]
    advertiser_id: int
    webmaster_id: int
    other_webmaster_id: int
    group_id: int
    spare_key_ids: dict[str, int] = field(default_factory=dict)
    terms: dict[str, int] = field(default_factory=dict)
    offers: dict[str, int] = field(default_factory=dict)
    landing_id: int = 0

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    @property
    def user_ids(self) -> dict[str, int]:
        return {role: p.user_id for role, p in self.principals.items()}


def offer_payload(tag: str, visibility: str = "public", **overrides: Any) -> OfferCreate:
    host = f"shop-{tag}.example"
    values: dict[str, Any] = {
        "name": f"Offer {tag} {visibility}",
        "description": f"secret description {tag}",
        "category": "finance",
        "visibility": visibility,
        "targeting": Targeting(countries=["US", "DE"], devices=["mobile"]),
        "goals": [GoalIn(key="lead", name="Lead", kind="CPL")],
        "landings": [
            LandingIn(
                name="Main",
                url_template=f"https://{host}/l?cid={{click_id}}&s={{sub1}}",
                deep_link_hosts=[host],
            ),
        ],
        "promo_materials": [PromoIn(kind="text", name="t", content="hello")],
        "caps": [
            CapIn(period="daily", metric="clicks", limit="100"),
            CapIn(period="monthly", metric="budget", limit="2500.50"),
        ],
        "trafficback_url": "https://tb.example/x",
    }
    values.update(overrides)
    return OfferCreate(**values)


async def build_world(client: Client) -> World:
    """Everything made through the services, as the API would; returns ids and plaintext keys."""
    hasher: PasswordHashing = client.app.state.hasher
    tag = uuid.uuid4().hex[:10]
    slug = f"net-{tag}"
    network_id = await tenants.create_network(
        slug=slug, name=f"Network {tag}", tracking_host=f"t-{tag}.example"
    )
    admin = await _first_admin(network_id, f"admin-{tag}@example.com", hasher.hash("admin-password"))

    async def user(role: RoleName, email: str) -> Principal:
        data = UserCreate(
            email=email, password="correct-horse-battery", role=role, profile_name=f"{role} {tag}"
        )
        out = await accounts.create_user(admin, data, hasher)
        return await _principal_for(network_id, out.id)

    staff = await user("staff", f"staff-{tag}@example.com")
    adv = await user("advertiser", f"adv-{tag}@example.com")
    wm = await user("webmaster", f"wm-{tag}@example.com")
    wm2 = await user("webmaster", f"wm2-{tag}@example.com")
    principals = {"network_admin": admin, "staff": staff, "advertiser": adv, "webmaster": wm}
    keys, key_ids = {}, {}
    for role, p in principals.items():
        created = await authn.create_api_key(p, ApiKeyCreate(name="test"), 100_000)
        keys[role], key_ids[role] = created.secret, created.key.id
    spare = {}
    for role, p in principals.items():
        spare[role] = (await authn.create_api_key(p, ApiKeyCreate(name="spare"), 100_000)).key.id
    group = await accounts.create_group(staff, GroupCreate(key="vip", name=f"VIP {tag}"))
    assert adv.advertiser_id and wm.webmaster_id and wm2.webmaster_id
    world = World(
        network_id=network_id,
        slug=slug,
        tag=tag,
        principals=principals,
        keys=keys,
        key_ids=key_ids,
        advertiser_id=adv.advertiser_id,
        webmaster_id=wm.webmaster_id,
        other_webmaster_id=wm2.webmaster_id,
        group_id=group.id,
        spare_key_ids=spare,
    )
    for visibility in ("public", "approval_required", "private"):
        offer = await offers.create_offer(adv, offer_payload(tag, visibility))
        await offers.transition(adv, offer.id, Transition(to="pending"))
        await offers.transition(staff, offer.id, Transition(to="active"))
        world.offers[visibility] = offer.id
    world.landing_id = (await offers.get_offer(adv, world.offers["public"])).landings[0].id
    draft = await offers.create_offer(adv, offer_payload(tag, "public", name=f"Draft {tag}"))
    world.offers["draft"] = draft.id
    await access.request_access(wm, world.offers["public"], AccessRequest())
    await access.request_access(wm, world.offers["approval_required"], AccessRequest(message="pls"))
    await access.decide(
        adv, world.offers["approval_required"], wm.webmaster_id, AccessDecision(decision="approve")
    )
    await access.invite(adv, world.offers["private"], Invitation(webmaster_id=wm.webmaster_id))
    await access.request_access(wm2, world.offers["approval_required"], AccessRequest(message="me too"))
    current = await terms.publish(adv, world.offers["public"], terms_payload(payout=10, revenue=15))
    upcoming = await terms.publish(
        adv,
        world.offers["public"],
        terms_payload(payout=12, revenue=16, effective_from=datetime.now(UTC) + timedelta(days=7)),
    )
    world.terms = {"current": current.id, "upcoming": upcoming.id}
    return world


def terms_payload(
    payout: Any, revenue: Any, hold_days: Any = 0, status: Any = None, **extra: Any
) -> TermsCreate:
    rules = TermsRules(payout=payout, revenue=revenue, hold_days=hold_days, status=status)
    return TermsCreate(rules=rules, **extra)


async def login_session(client: Client, network: str, email: str, password: str) -> dict[str, str]:
    """Log in and return headers carrying the session cookie and CSRF token.

    The cookie is Secure (the test settings use an https base URL), so it is sent by hand.
    """
    response = await client.post(
        "/api/v1/auth/login", json={"network": network, "email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return {
        "Cookie": f"cpanet_session={response.cookies['cpanet_session']}",
        "X-CSRF-Token": response.json()["csrf_token"],
    }
