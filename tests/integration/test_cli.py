"""The operator's commands: create a network and its first admin, who can then log in."""

from __future__ import annotations

import uuid

from network.accounts.tables import User
from network.app import create_app
from network.settings import Settings
from tests.support.cli import cpanet
from tests.support.client import Client


async def test_network_create_then_admin_logs_in(database_url: str, settings: Settings) -> None:
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    args = [
        "network-create",
        "--slug",
        slug,
        "--name",
        "Acme",
        "--tracking-host",
        f"{slug}.example",
        "--timezone",
        "Europe/Berlin",
        "--currency",
        "EUR",
        "--admin-email",
        f"boss@{slug}.example",
        "--admin-password",
        "a-long-password",
    ]
    created = cpanet(database_url, *args)
    assert created.returncode == 0, created.stderr
    again = cpanet(database_url, *args)
    assert again.returncode == 1 and "exists" in again.stderr and "Traceback" not in again.stderr
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=create_app(settings)) as client:
        c: Client = client
        login = await c.post(
            "/api/v1/auth/login",
            json={"network": slug, "email": f"boss@{slug}.example", "password": "a-long-password"},
        )
        assert login.status_code == 200 and login.json()["role"] == "network_admin"
        admins = await User.select(User.role).where(User.email == f"boss@{slug}.example")
        assert [a["role"] for a in admins] == ["network_admin"]


def test_bad_database_url_fails_clearly() -> None:
    result = cpanet("mysql://nope/db", "db", "migrate")
    assert result.returncode == 1 and result.stderr.startswith("Error: unsupported database URL")
    assert "Traceback" not in result.stderr
