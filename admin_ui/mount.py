"""Wiring: the /ui routes and the template engine, for network/app.py to mount."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Router
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from admin_ui.errors import EXCEPTION_HANDLERS
from admin_ui.pages.account import AccountPages
from admin_ui.pages.advertiser import AdvertiserPages
from admin_ui.pages.advertiser_cabinet import ADV_CONTROLLERS
from admin_ui.pages.auth import AuthPages
from admin_ui.pages.password_reset import PasswordResetPages
from admin_ui.pages.staff import StaffPages
from admin_ui.pages.staff_console import STAFF_CONTROLLERS
from admin_ui.pages.webmaster import WebmasterPages
from admin_ui.pages.webmaster_tools import WM_CONTROLLERS
from admin_ui.session import LoginThrottle, ui_context, ui_guard

HERE = Path(__file__).parent
# Pages hold personal data and forms: never cached, never framed, no script, nothing from other origins.
SECURITY_HEADERS = [
    ResponseHeader(name="Cache-Control", value="no-store"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(
        name="Content-Security-Policy",
        value="default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
]


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def routes() -> list[ControllerRouterHandler]:
    """The cabinets under /ui and their stylesheet under /ui/static. Not in the OpenAPI schema; the API's
    authentication middleware is skipped (``exclude_from_auth``) because ``ui_guard`` authenticates here."""
    throttle = LoginThrottle()
    pages = Router(
        path="/ui",
        route_handlers=[
            AuthPages,
            PasswordResetPages,
            AccountPages,
            WebmasterPages,
            *WM_CONTROLLERS,
            AdvertiserPages,
            *ADV_CONTROLLERS,
            StaffPages,
            *STAFF_CONTROLLERS,
        ],
        guards=[ui_guard],
        dependencies={
            "ui": Provide(ui_context, sync_to_thread=False),
            "throttle": Provide(lambda: throttle, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        include_in_schema=False,
        opt={"exclude_from_auth": True},
        response_headers=SECURITY_HEADERS,
    )
    static = create_static_files_router(
        path="/ui/static",
        directories=[HERE / "static"],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
        cache_control=CacheControlHeader(max_age=3600, public=True),
        name="ui_static",
    )
    return [pages, static]
