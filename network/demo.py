"""The demo network that `make run` serves: staff, 3 advertisers, 20 offers, 10 webmasters and their keys.

Everything goes through the same services as the API, so the demo also exercises them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from network.accounts import authn
from network.accounts import repository as accounts
from network.accounts import service as account_service
from network.accounts.schemas import ApiKeyCreate, GroupCreate, SignupIn, StatusChange, UserCreate
from network.accounts.security import PasswordHashing
from network.audit import service as audit
from network.db import bind_tables, build_engine, start, stop
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
    Schedule,
    Targeting,
    Transition,
)
from network.principal import Principal, Role
from network.settings import Settings
from network.tenants import repository as tenants
from network.tenants import service as tenant_service
from network.terms import service as terms
from network.terms.schemas import TermsCreate, TermsRules
from network.transaction import atomic

DEMO_SLUG = "demo"
CATEGORIES = ["finance", "gambling", "nutra", "ecommerce", "dating", "games", "education", "travel"]
COUNTRIES = ["US", "GB", "DE", "FR", "RU", "KZ", "BR", "IN", "ES", "PL"]


async def create_network_with_admin(
    settings: Settings,
    *,
    slug: str,
    name: str,
    tracking_host: str,
    timezone: str,
    currency: str,
    admin_email: str,
    admin_password: str,
) -> int:
    engine = build_engine(settings.database)
    bind_tables(engine)
    await start(engine, settings.database)
    try:
        hasher = _hasher(settings)
        network_id = await tenant_service.create_network(
            slug=slug, name=name, tracking_host=tracking_host, timezone=timezone, currency=currency
        )
        await _first_admin(network_id, admin_email, hasher.hash(admin_password))
        return network_id
    finally:
        await stop(engine)


def _hasher(settings: Settings) -> PasswordHashing:
    return PasswordHashing(
        time_cost=settings.security.argon2_time_cost, memory_kib=settings.security.argon2_memory_kib
    )


async def _first_admin(network_id: int, email: str, password_hash: str) -> Principal:
    async with atomic():
        user_id = await accounts.insert_user(
            tenant_id=network_id,
            email=email.lower(),
            password_hash=password_hash,
            role=Role.NETWORK_ADMIN.value,
            display_name="Network admin",
        )
        await audit.record(
            network_id=network_id,
            actor=None,
            entity="user",
            entity_id=user_id,
            action="user.created",
            after={"email": email, "role": Role.NETWORK_ADMIN.value},
        )
    return Principal(network_id=network_id, user_id=user_id, role=Role.NETWORK_ADMIN)


async def _principal_for(network_id: int, user_id: int) -> Principal:
    row = await accounts.user(tenant_id=network_id, user_id=user_id)
    assert row is not None
    return Principal(
        network_id=network_id,
        user_id=user_id,
        role=Role(row["role"]),
        advertiser_id=row["advertiser"],
        webmaster_id=row["webmaster"],
    )


def _offer(rng: random.Random, n: int, visibility: str) -> OfferCreate:
    category = CATEGORIES[n % len(CATEGORIES)]
    # The first offers target nobody in particular, so a demo click from this machine reaches a landing page.
    countries = [] if n <= 3 else sorted(rng.sample(COUNTRIES, rng.randint(1, 4)))
    host = f"shop{n}.example"
    return OfferCreate(
        name=f"{category.title()} offer #{n}",
        description=f"Demo {category} offer for {', '.join(countries) or 'every country'}.",
        category=category,
        currency="USD",
        visibility=visibility,  # type: ignore[arg-type]
        attribution_window_days=30,
        allowed_sources=["context", "social", "email"][: rng.randint(1, 3)],
        trafficback_url="https://trafficback.example/tb?click_id={click_id}",
        targeting=Targeting(
            countries=countries,
            devices=["desktop", "mobile"] if n % 3 and n > 3 else [],
            schedule=Schedule(timezone="Europe/Moscow", hours={"sat": list(range(10, 22))})
            if n % 7 == 0
            else None,
        ),
        goals=[GoalIn(key="lead", name="Lead", kind="CPL"), GoalIn(key="sale", name="Sale", kind="CPS")],
        landings=[
            LandingIn(
                name="Main",
                url_template=f"https://{host}/land?clickid={{click_id}}&s={{sub1}}",
                deep_link_hosts=[host],
                is_default=True,
            ),
            LandingIn(name="Pre-lander", url_template=f"https://{host}/pre?cid={{click_id}}"),
        ],
        promo_materials=[
            PromoIn(
                kind="banner", name="300x250", url=f"https://{host}/b/300x250.png", width=300, height=250
            ),
            PromoIn(kind="text", name="Short text", content=f"Try {category} today."),
        ],
        caps=[CapIn(period="daily", metric="clicks", limit=str(rng.choice([1000, 5000, 20000])))],
    )


def _terms(n: int, **extra: Any) -> TermsCreate:
    """Realistic demo terms: a geo tier for leads and a share of the sale amount for sales."""
    base = Decimal(5 + n % 4)
    payout = {
        "if": [
            {"==": [{"var": "goal"}, "sale"]},
            {"*": [{"var": "conversion.sale_amount"}, Decimal("0.08")]},
            {"in": [{"var": "click.country"}, ["US", "GB", "DE"]]},
            base * 2,
            base,
        ]
    }
    revenue = {"*": [payout, Decimal("1.5")]}
    hold = {"if": [{"==": [{"var": "goal"}, "sale"]}, 30, 7]}
    return TermsCreate(rules=TermsRules(payout=payout, revenue=revenue, hold_days=hold), **extra)


async def seed(settings: Settings) -> dict[str, Any] | None:
    """Create the demo network once; return its credentials, or None if it already exists."""
    engine = build_engine(settings.database)
    bind_tables(engine)
    await start(engine, settings.database)
    try:
        if await tenants.by_slug(DEMO_SLUG):
            return None
        return await _seed(settings)
    finally:
        await stop(engine)


async def _seed(settings: Settings) -> dict[str, Any]:
    rng = random.Random(20261123)
    hasher = _hasher(settings)
    tracking_host = f"{settings.http.host}:{settings.http.port}"
    network_id = await tenant_service.create_network(
        slug=DEMO_SLUG, name="Demo CPA Network", tracking_host=tracking_host, timezone="Europe/Moscow"
    )
    users: list[dict[str, str]] = []
    admin = await _first_admin(network_id, "admin@demo.example", hasher.hash("admin-password"))
    users.append({"role": "network_admin", "email": "admin@demo.example", "password": "admin-password"})

    async def add(principal: Principal, role: str, email: str, password: str, name: str) -> Principal:
        out = await account_service.create_user(
            principal,
            UserCreate(email=email, password=password, role=role, display_name=name, profile_name=name),  # type: ignore[arg-type]
            hasher,
        )
        users.append({"role": role, "email": email, "password": password})
        return await _principal_for(network_id, out.id)

    staff = await add(admin, "staff", "staff@demo.example", "staff-password", "Moderator")
    advertisers = [
        await add(staff, "advertiser", f"adv{i}@demo.example", f"adv{i}-password", f"Advertiser {i}")
        for i in range(1, 4)
    ]
    webmasters = [
        await add(staff, "webmaster", f"wm{i}@demo.example", f"wm{i}-password", f"Webmaster {i}")
        for i in range(1, 9)
    ]
    # Two more webmasters sign up through referral links and wait for approval (a two-level chain).
    me1 = await account_service.me(webmasters[0])
    signup = await account_service.signup_webmaster(
        SignupIn(
            network=DEMO_SLUG,
            email="wm9@demo.example",
            password="wm9-password",
            name="Webmaster 9",
            referral_code=me1.referral_code,
        ),
        hasher,
    )
    await account_service.set_webmaster_status(
        staff, signup.webmaster_id, StatusChange(status="active", reason="demo")
    )
    wm9 = await _principal_for(network_id, signup.user_id)
    users.append({"role": "webmaster", "email": "wm9@demo.example", "password": "wm9-password"})
    me9 = await account_service.me(wm9)
    await account_service.signup_webmaster(
        SignupIn(
            network=DEMO_SLUG,
            email="wm10@demo.example",
            password="wm10-password",
            name="Webmaster 10",
            referral_code=me9.referral_code,
        ),
        hasher,
    )
    users.append({"role": "webmaster (pending)", "email": "wm10@demo.example", "password": "wm10-password"})
    webmasters.append(wm9)

    group = await account_service.create_group(staff, GroupCreate(key="vip", name="VIP webmasters"))
    for wm in webmasters[:3]:
        assert wm.webmaster_id is not None
        await account_service.set_group_member(staff, group.id, wm.webmaster_id, member=True)

    visibilities = ["public"] * 10 + ["approval_required"] * 6 + ["private"] * 4
    first_terms: int | None = None
    live_public: list[tuple[Principal, int]] = []
    for n, visibility in enumerate(visibilities, start=1):
        adv = advertisers[n % 3]
        offer = await offers.create_offer(adv, _offer(rng, n, visibility))
        version = await terms.publish(adv, offer.id, _terms(n))
        first_terms = first_terms or version.id
        if n % 5 == 0:
            # An announced change: webmasters who joined see it, and its date, before it applies.
            soon = datetime.now(UTC) + timedelta(days=7)
            await terms.publish(
                adv, offer.id, _terms(n + 1, effective_from=soon, note="higher payout from next week")
            )
        if n == 20:
            continue  # one draft stays with its advertiser
        await offers.transition(adv, offer.id, Transition(to="pending"))
        if n == 19:
            continue  # one waits in the moderation queue
        await offers.transition(staff, offer.id, Transition(to="active", reason="demo approval"))
        if visibility == "public":
            live_public.append((adv, offer.id))
        if visibility == "private":
            assert webmasters[0].webmaster_id is not None
            await access.invite(adv, offer.id, Invitation(webmaster_id=webmasters[0].webmaster_id))
        for wm in webmasters[: 1 + n % 4]:
            if visibility == "private":
                break
            got = await access.request_access(wm, offer.id, AccessRequest(message="demo traffic"))
            if got.status == "requested" and n % 2 == 0:
                assert wm.webmaster_id is not None
                await access.decide(adv, offer.id, wm.webmaster_id, AccessDecision(decision="approve"))

    keyed: dict[str, str] = {}
    principals = {
        u["email"]: p for u, p in zip(users, [admin, staff, *advertisers, *webmasters[:8]], strict=False)
    }
    principals["wm9@demo.example"] = wm9
    for email, principal in principals.items():
        created = await authn.create_api_key(
            principal, ApiKeyCreate(name="demo"), settings.security.default_api_key_rate_limit
        )
        keyed[email] = created.secret
    for u in users:
        u["api_key"] = keyed.get(u["email"], "(pending approval)")
    assert webmasters[0].webmaster_id is not None
    postback_tokens = await _demo_money(network_id, staff, advertisers, webmasters[0], live_public[:3])
    return {
        "postback_tokens": postback_tokens,
        "network": DEMO_SLUG,
        "tracking_host": tracking_host,
        "users": users,
        "terms_version_id": first_terms,
        "demo_click": f"http://{tracking_host}/c/1?wm={webmasters[0].webmaster_id}&sub1=demo",
    }


async def _demo_money(
    network_id: int,
    staff: Principal,
    advertisers: list[Principal],
    webmaster: Principal,
    live: list[tuple[Principal, int]],
) -> dict[str, str]:
    """Prepaid balances, a two-level referral programme, postback tokens, and a few conversions made through
    the real postback path (on clicks stored as the pipeline stores them), so the cabinets show money."""
    from network.conversions import intake
    from network.conversions import service as conversions
    from network.conversions.policy import FinancePolicy, save
    from network.conversions.schemas import CredentialIn
    from network.ledger import service as ledger
    from network.ledger.schemas import DepositIn
    from network.offers.tables import Offer
    from network.tracking.clickid import new_click_id
    from network.tracking.tables import Click

    await save(network_id, FinancePolicy(referral_shares=["5", "2"]))
    tokens: dict[str, str] = {}
    for n, adv in enumerate(advertisers, start=1):
        assert adv.advertiser_id is not None
        await ledger.deposit(
            staff, adv.advertiser_id, DepositIn(amount="5000.00", currency="USD", note="demo prepayment")
        )
        created = await conversions.create_credential(adv, adv.advertiser_id, CredentialIn())
        tokens[f"adv{n}@demo.example"] = created.token or ""
    assert webmaster.webmaster_id is not None
    statuses = ["approved", "pending", "approved", "rejected", ""]
    for adv, offer_id in live:
        offer = await Offer.select(Offer.advertiser).where(Offer.id == offer_id).first()
        assert offer is not None and adv.advertiser_id == offer["advertiser"]
        token = tokens[f"adv{advertisers.index(adv) + 1}@demo.example"]
        for k, status in enumerate(statuses):
            at = datetime.now(UTC)
            click_id = new_click_id(at.timestamp())
            version = await terms.pin(
                tenant_id=network_id, offer_id=offer_id, webmaster_id=webmaster.webmaster_id, at=at
            )
            await Click.insert(
                Click(
                    click_id=click_id,
                    network=network_id,
                    offer=offer_id,
                    webmaster=webmaster.webmaster_id,
                    terms_version=version,
                    created_at=at,
                    country="DE",
                    device="mobile",
                    os="android",
                    sub1="demo",
                )
            )
            params = {"token": token, "click_id": click_id, "order_id": f"demo-{offer_id}-{k}"}
            if status:
                params["status"] = status
            await intake.receive(
                intake.Received(
                    path="/postback", params=params, ip="127.0.0.1", visitor_id="", at=datetime.now(UTC)
                )
            )
    return tokens
