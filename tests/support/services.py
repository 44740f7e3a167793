"""Where the test services are, and the rule for when they are missing.

Locally a missing PostgreSQL or RabbitMQ skips the tests that need it; with CPANET_REQUIRE_SERVICES=1 (CI)
it fails them instead, so a CI run can never pass by skipping.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit

import pytest

REQUIRE_SERVICES = os.environ.get("CPANET_REQUIRE_SERVICES") == "1"
POSTGRES_ADMIN_URL = os.environ.get(
    "CPANET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_URL = os.environ.get("CPANET_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def need(service: str, url: str, default_port: int) -> None:
    if reachable(url, default_port):
        return
    missing(f"{service} is not reachable at {url}")


def missing(message: str) -> None:
    """Something a test needs is not there: skip on a developer's machine, fail in CI."""
    if REQUIRE_SERVICES:
        pytest.fail(message + ", and CPANET_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def scratch_database_name() -> str:
    return f"cpanet_test_{uuid.uuid4().hex[:12]}"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{name}").geturl()
