"""Typed settings, read from the environment once and passed explicitly.

Every variable is documented in docs/settings.md. Tests build ``Settings`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SQLITE_PATH = Path("var/cpanet.sqlite3")


@dataclass(frozen=True)
class DatabaseSettings:
    # sqlite:///relative/path.sqlite3, sqlite:////abs/path.sqlite3 or postgresql://user@host:port/db
    url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    pool_min: int = 1
    pool_max: int = 10

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        if not self.is_sqlite:
            raise ValueError("not an SQLite database URL")
        return Path(self.url.removeprefix("sqlite:///"))


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    # Public base URL of the tracking endpoints, used when a network has no tracking host of its own.
    public_base_url: str = "http://127.0.0.1:8000"
    debug: bool = False
    # Read the client IP from X-Forwarded-For and the country from CF-IPCountry / X-Country: only behind a
    # proxy that sets them, or a visitor could spoof both.
    trust_proxy_headers: bool = False


@dataclass(frozen=True)
class SecuritySettings:
    session_ttl_hours: int = 24 * 14
    default_api_key_rate_limit: int = 600  # requests per minute per key
    max_request_body: int = 1_048_576
    # Argon2id cost; tests lower it to keep the suite fast.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536


@dataclass(frozen=True)
class BrokerSettings:
    # "embedded" runs without RabbitMQ (in-process hand-off, SQLite-backed Celery broker).
    amqp_url: str = "embedded"

    @property
    def is_embedded(self) -> bool:
        return self.amqp_url == "embedded"


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    broker: BrokerSettings = field(default_factory=BrokerSettings)


def _bool(value: str) -> bool:
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read ``CPANET_*`` variables once; unknown values fail loudly at start-up."""
    e = os.environ if env is None else env
    db = DatabaseSettings(
        url=e.get("CPANET_DATABASE_URL", DatabaseSettings.url),
        pool_min=int(e.get("CPANET_DATABASE_POOL_MIN", DatabaseSettings.pool_min)),
        pool_max=int(e.get("CPANET_DATABASE_POOL_MAX", DatabaseSettings.pool_max)),
    )
    host = e.get("CPANET_HOST", HttpSettings.host)
    port = int(e.get("CPANET_PORT", HttpSettings.port))
    http = HttpSettings(
        host=host,
        port=port,
        public_base_url=e.get("CPANET_PUBLIC_BASE_URL", f"http://{host}:{port}").rstrip("/"),
        debug=_bool(e.get("CPANET_DEBUG", "0")),
        trust_proxy_headers=_bool(e.get("CPANET_TRUST_PROXY_HEADERS", "0")),
    )
    security = SecuritySettings(
        session_ttl_hours=int(e.get("CPANET_SESSION_TTL_HOURS", SecuritySettings.session_ttl_hours)),
        default_api_key_rate_limit=int(
            e.get("CPANET_API_KEY_RATE_LIMIT", SecuritySettings.default_api_key_rate_limit)
        ),
        max_request_body=int(e.get("CPANET_MAX_REQUEST_BODY", SecuritySettings.max_request_body)),
        argon2_time_cost=int(e.get("CPANET_ARGON2_TIME_COST", SecuritySettings.argon2_time_cost)),
        argon2_memory_kib=int(e.get("CPANET_ARGON2_MEMORY_KIB", SecuritySettings.argon2_memory_kib)),
    )
    broker = BrokerSettings(amqp_url=e.get("CPANET_AMQP_URL", BrokerSettings.amqp_url))
    return Settings(database=db, http=http, security=security, broker=broker)
