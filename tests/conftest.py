from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings
from litestar.testing import AsyncTestClient

from network.app import create_app
from network.settings import (
    BrokerSettings,
    ClickSettings,
    DatabaseSettings,
    HttpSettings,
    SecuritySettings,
    Settings,
)
from tests.support.client import Client
from tests.support.mail import Inbox, smtp_server
from tests.support.resets import mail_settings
from tests.support.services import POSTGRES_ADMIN_URL, need, scratch_database_name, with_database
from tests.support.world import World, build_world

ROOT = Path(__file__).resolve().parent.parent

# CI runs property tests on a fixed seed so a landing never depends on the luck of the draw; runs elsewhere
# explore new examples every time (HYPOTHESIS_PROFILE=ci reproduces CI's draw locally).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
hypothesis_settings.load_profile(_PROFILE)
# Argon2 at its minimum cost: the suite creates hundreds of users, and the KDF's strength is not under test.
FAST_SECURITY = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=8, default_api_key_rate_limit=100_000)


def migrate(url: str) -> None:
    env = {**os.environ, "CPANET_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "network.cli", "db", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database per backend; every test builds its own network in it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'cpanet.sqlite3'}"
        migrate(url)
        yield url
        return
    need("PostgreSQL", POSTGRES_ADMIN_URL, 5432)
    name = scratch_database_name()
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        url = with_database(POSTGRES_ADMIN_URL, name)
        migrate(url)
        yield url
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def suite_settings(database_url: str, spool_dir: Path) -> Settings:
    return Settings(
        # Jobs run when a test calls them, never behind its back.
        broker=BrokerSettings(spool_dir=spool_dir, jobs_in_process="0", outbound_allowlist=""),
        # The test database holds hundreds of networks: build click engines lazily, with small fraud tables.
        clicks=ClickSettings(
            preload=False, duplicate_slots=4096, ip_slots=4096, sub_slots=1024, ua_cache_size=1024
        ),
        database=DatabaseSettings(url=database_url, pool_min=0, pool_max=0),
        # Clicks in tests arrive "through a proxy" that tells the country (X-Country) and the client IP.
        http=HttpSettings(public_base_url="https://track.example", trust_proxy_headers=True),
        security=FAST_SECURITY,
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return suite_settings(database_url, tmp_path / "spool")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(settings)
    async with AsyncTestClient(app=app) as c:
        yield c


# One app and two worlds per test module, for modules whose tests only read (or whose writes are refused),
# such as the tenant-isolation matrix: building a world costs seconds. Such a module sets
# ``pytestmark = pytest.mark.asyncio(loop_scope="module")`` and takes ``module_client``, ``module_world``
# and ``module_other_world``.
@pytest.fixture(scope="module")
def module_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return suite_settings(database_url, tmp_path_factory.mktemp("spool"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_client(module_settings: Settings) -> AsyncIterator[Client]:
    app = create_app(module_settings)
    async with AsyncTestClient(app=app) as c:
        yield c


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_world(module_client: Client) -> World:
    return await build_world(module_client)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_other_world(module_client: Client) -> World:
    return await build_world(module_client)


# A real SMTP server (aiosmtpd on 127.0.0.1) and a module app that sends its mail there, for the password
# reset tests of the API and of the pages.
@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, str]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def inbox(smtp: tuple[Inbox, str]) -> Inbox:
    return smtp[0]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def mail_client(module_settings: Settings, smtp: tuple[Inbox, str]) -> AsyncIterator[Client]:
    app = create_app(mail_settings(module_settings, smtp[1]))
    async with AsyncTestClient(app=app) as c:
        yield c


@pytest.fixture
async def world(client: Client) -> World:
    return await build_world(client)


@pytest.fixture
async def other_world(client: Client) -> World:
    return await build_world(client)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``sqlite_only`` tests do not depend on the database engine: run them once, on SQLite."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        (dropped if on_postgres and item.get_closest_marker("sqlite_only") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
