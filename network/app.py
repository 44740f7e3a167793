"""create_app(settings): wiring only. Routes, dependencies, problem details, OpenAPI and the database."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

import msgspec
from litestar import Litestar, Request, get
from litestar.config.response_cache import ResponseCacheConfig
from litestar.datastructures import State
from litestar.handlers import ASGIRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

import admin_ui
from fastpath import FraudSettings
from network.accounts.controllers import (
    AdvertiserController,
    ApiKeyController,
    AuthController,
    GroupController,
    UserController,
    WebmasterController,
)
from network.accounts.password_reset import PasswordResets
from network.accounts.security import PasswordHashing
from network.audit.controllers import AuditController
from network.conversions.controllers import (
    ConversionController,
    PostbackAdminController,
    receive_pixel,
    receive_postback,
    receive_postback_post,
    receive_postback_tune,
)
from network.conversions.front import PostbackHandler
from network.db import bind_tables, build_engine, start, stop
from network.http.auth import AuthMiddleware, RateLimiter, role_guard
from network.http.deps import DEPENDENCIES
from network.http.front import HotPathApp
from network.http.problems import EXCEPTION_HANDLERS
from network.ledger.controllers import LedgerController, PayoutBatchController, WithdrawalController
from network.lists.controllers import TrafficListController
from network.mail import Outbox, mailer_from_settings
from network.offers.controllers import MyAccessController, OfferController
from network.outgoing import delivery as outgoing_delivery
from network.outgoing.controllers import PostbackDeliveryController, PostbackEndpointController
from network.settings import Settings, load_settings
from network.stats.controllers import StatsController
from network.stopping import Stop, stop_tasks
from network.tenants.controllers import NetworkController
from network.tenants.tables import Network
from network.terms.controllers import TermsController, TermsToolsController
from network.tracking.controllers import SmartlinkController
from network.tracking.endpoint import ClickHandler, click_routes
from network.tracking.forwarder import AmqpDelivery, DatabaseDelivery, Delivery, Forwarder, transient_errors
from network.tracking.journal import JournalWriter
from network.tracking.ranges import RangeFiles
from network.tracking.registry import SnapshotRegistry
from network.worker.jobs import run_embedded

log = logging.getLogger("cpanet")

PUBLIC_PATHS = ["^/schema", "^/health$", "^/postback$", "^/aff_lsr$", "^/pixel.gif$"]


class Health(msgspec.Struct):
    status: str
    database: str


@get("/health", operation_id="health", opt={"exclude_from_auth": True}, tags=["ops"])
async def health(request: Request[Any, Any, Any]) -> Health:
    """Liveness and database reachability."""
    await Network.count()
    settings: Settings = request.app.state.settings
    return Health(status="ok", database="sqlite" if settings.database.is_sqlite else "postgresql")


def _table_browser(settings: Settings) -> list[ASGIRouteHandler]:
    """piccolo-admin at /admin/db/ for the installation's operators, when CPANET_DB_ADMIN is on (imported
    only then: it brings FastAPI along)."""
    if not settings.db_admin.enabled:
        return []
    from network.operators.table_browser import table_browser

    return [table_browser(settings)]


_frozen = False


def _freeze_startup_objects() -> None:
    """Once per process: what the first app start built (routes, OpenAPI, templates, snapshots) lives as long
    as the process, so it is moved out of the collector's reach and a full collection walks only what
    requests allocate, not the whole heap, on the loop that answers clicks (docs/clicks.md)."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    engine = build_engine(settings.database)
    bind_tables(engine)
    security = settings.security

    clicks = settings.clicks
    registry = SnapshotRegistry(
        preload=clicks.preload,
        fraud=FraudSettings(
            duplicate_slots=clicks.duplicate_slots,
            ip_slots=clicks.ip_slots,
            sub_slots=clicks.sub_slots,
            ua_cache_size=clicks.ua_cache_size,
        ),
        ranges=RangeFiles(clicks.range_files) if clicks.range_files else None,
    )
    journal = JournalWriter(settings.broker.journal_dir, fsync=settings.broker.click_fsync)
    delivery: Delivery = (
        DatabaseDelivery() if settings.broker.is_embedded else AmqpDelivery(settings.broker.amqp_url)
    )
    forwarder = Forwarder(journal, delivery)
    table_browser = _table_browser(settings)
    outbox = Outbox(mailer_from_settings(settings.mail))
    tasks: list[asyncio.Task[None]] = []
    stops: list[Stop] = []  # one per start of the app (a test may start an app more than once)

    async def on_startup() -> None:
        outgoing_delivery.configure(settings.broker.outbound_allowlist)
        bind_tables(engine)
        if table_browser:
            from network.operators.table_browser import bind

            bind(engine)  # its secret-less table views, like bind_tables above
        await start(engine, settings.database)
        await registry.refresh()
        halt = Stop()
        stops.append(halt)
        tasks.extend(
            [
                asyncio.create_task(registry.run(halt), name="snapshot-polling"),
                asyncio.create_task(forwarder.run(halt), name="click-forwarder"),
            ]
        )
        if settings.broker.runs_jobs_in_process:
            tasks.append(asyncio.create_task(run_embedded(stop=halt), name="embedded-jobs"))
        _freeze_startup_objects()

    async def on_shutdown() -> None:
        # Never cancelled mid-transaction (network/stopping.py): signalled, then awaited.
        if stops:
            await stop_tasks(stops.pop(), tasks)
        tasks.clear()
        try:
            await forwarder.drain()
        except transient_errors() as exc:
            log.warning("clicks left in the journal at shutdown (replayed on next start): %s", exc)
        await delivery.close()
        await outbox.drain()
        journal.close()
        await stop(engine)

    openapi = OpenAPIConfig(
        title="cpanet API",
        version="0.1.0",
        description="Open-source CPA network. Every error is an RFC 9457 problem details document.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(type="http", scheme="bearer", bearer_format="cpn_<prefix>_<secret>"),
            }
        ),
        security=[{"apiKey": []}],
    )
    click_handler = ClickHandler(settings, registry, journal)
    app = HotPathApp(
        route_handlers=[
            *click_routes(click_handler),
            health,
            AuthController,
            ApiKeyController,
            UserController,
            AdvertiserController,
            WebmasterController,
            GroupController,
            NetworkController,
            OfferController,
            MyAccessController,
            SmartlinkController,
            TrafficListController,
            TermsController,
            TermsToolsController,
            AuditController,
            LedgerController,
            WithdrawalController,
            PayoutBatchController,
            receive_postback,
            receive_postback_post,
            receive_postback_tune,
            receive_pixel,
            ConversionController,
            PostbackAdminController,
            PostbackEndpointController,
            PostbackDeliveryController,
            StatsController,
            *admin_ui.routes(),
            *table_browser,
        ],
        dependencies=DEPENDENCIES,
        guards=[role_guard],
        middleware=[DefineMiddleware(AuthMiddleware, exclude=PUBLIC_PATHS)],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "hasher": PasswordHashing(
                    time_cost=security.argon2_time_cost, memory_kib=security.argon2_memory_kib
                ),
                "rate_limiter": RateLimiter(),
                "password_resets": PasswordResets.from_settings(settings, outbox),
                "click_registry": registry,
                "click_forwarder": forwarder,
            }
        ),
        request_max_body_size=security.max_request_body,
        response_cache_config=ResponseCacheConfig(),
        template_config=admin_ui.template_config(),
        debug=False,
    )
    app.click_handler = click_handler
    app.postback_handler = PostbackHandler(settings)
    return app
