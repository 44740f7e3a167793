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
    # How long a password reset link stays valid.
    password_reset_ttl_seconds: int = 3600


@dataclass(frozen=True)
class MailSettings:
    # smtp://user:pass@host:port (STARTTLS when the server offers it) or smtps://... (TLS from the start);
    # empty: no mail is sent, and staff hand out password reset links instead.
    smtp_url: str = ""
    mail_from: str = "cpanet <no-reply@localhost>"

    @property
    def configured(self) -> bool:
        return bool(self.smtp_url)


@dataclass(frozen=True)
class BrokerSettings:
    # "embedded" runs without RabbitMQ: clicks go from the journal straight to the database.
    amqp_url: str = "embedded"
    # The click journal (also the spool while the broker is down): one directory per click process.
    spool_dir: Path = Path("var/spool")
    node_id: str = "node-1"
    click_fsync: str = "interval"
    # Run the periodic jobs (hold release, queued postbacks, outgoing postbacks) inside the web process:
    # "auto" does so in embedded mode only; with RabbitMQ, Celery beat and workers run them.
    jobs_in_process: str = "auto"
    # Hosts or CIDRs (optionally with :port) that outgoing postbacks may reach despite the SSRF guard.
    # Only for tests and local receivers; empty in production.
    outbound_allowlist: str = ""

    @property
    def journal_dir(self) -> Path:
        return self.spool_dir / self.node_id

    @property
    def is_embedded(self) -> bool:
        return self.amqp_url == "embedded"

    @property
    def runs_jobs_in_process(self) -> bool:
        return self.jobs_in_process == "1" or (self.jobs_in_process == "auto" and self.is_embedded)


@dataclass(frozen=True)
class ClickSettings:
    # Build every network's click engine at start (production). False builds a network's engine on the first
    # click for its tracking host (development and tests, where most networks never see a click).
    preload: bool = True
    # Bounded fraud state per network (slots; see docs/fastpath.md): about 28 MiB per network by default.
    duplicate_slots: int = 1 << 20
    ip_slots: int = 1 << 18
    sub_slots: int = 1 << 16
    ua_cache_size: int = 65536
    # Extra IP range files for the data-centre table (VPN, TOR, hosting lists the operator downloads; see
    # network/tracking/ranges.py and docs/fastpath.md), beside the bundled cloud and crawler ranges.
    range_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class DbAdminSettings:
    # piccolo-admin at /admin/db/: raw, read-only browsing of every table of every network, for the
    # installation's operators (`cpanet operator create`), never for network staff. Off unless asked for.
    enabled: bool = False


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    clicks: ClickSettings = field(default_factory=ClickSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    db_admin: DbAdminSettings = field(default_factory=DbAdminSettings)


def _int(e: Mapping[str, str], name: str, default: int) -> int:
    value = e.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None


def _flag(e: Mapping[str, str], name: str, default: str) -> bool:
    value = e.get(name, default)
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean (1/0, true/false, yes/no, on/off)")


def split_paths(value: str) -> tuple[str, ...]:
    """A list of paths: separated by ``os.pathsep`` (``:`` on Linux) or commas, blanks dropped."""
    parts = value.replace(",", os.pathsep).split(os.pathsep)
    return tuple(p.strip() for p in parts if p.strip())


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read ``CPANET_*`` variables once; unknown values fail loudly at start-up."""
    e = os.environ if env is None else env
    db = DatabaseSettings(
        url=e.get("CPANET_DATABASE_URL", DatabaseSettings.url),
        pool_min=_int(e, "CPANET_DATABASE_POOL_MIN", DatabaseSettings.pool_min),
        pool_max=_int(e, "CPANET_DATABASE_POOL_MAX", DatabaseSettings.pool_max),
    )
    host = e.get("CPANET_HOST", HttpSettings.host)
    port = _int(e, "CPANET_PORT", HttpSettings.port)
    http = HttpSettings(
        host=host,
        port=port,
        public_base_url=e.get("CPANET_PUBLIC_BASE_URL", f"http://{host}:{port}").rstrip("/"),
        debug=_flag(e, "CPANET_DEBUG", "0"),
        trust_proxy_headers=_flag(e, "CPANET_TRUST_PROXY_HEADERS", "0"),
    )
    security = SecuritySettings(
        session_ttl_hours=_int(e, "CPANET_SESSION_TTL_HOURS", SecuritySettings.session_ttl_hours),
        default_api_key_rate_limit=_int(
            e, "CPANET_API_KEY_RATE_LIMIT", SecuritySettings.default_api_key_rate_limit
        ),
        max_request_body=_int(e, "CPANET_MAX_REQUEST_BODY", SecuritySettings.max_request_body),
        argon2_time_cost=_int(e, "CPANET_ARGON2_TIME_COST", SecuritySettings.argon2_time_cost),
        argon2_memory_kib=_int(e, "CPANET_ARGON2_MEMORY_KIB", SecuritySettings.argon2_memory_kib),
        password_reset_ttl_seconds=_int(
            e, "CPANET_PASSWORD_RESET_TTL_SECONDS", SecuritySettings.password_reset_ttl_seconds
        ),
    )
    mail = MailSettings(
        smtp_url=e.get("CPANET_SMTP_URL", MailSettings.smtp_url),
        mail_from=e.get("CPANET_MAIL_FROM", MailSettings.mail_from),
    )
    broker = BrokerSettings(
        amqp_url=e.get("CPANET_AMQP_URL", BrokerSettings.amqp_url),
        spool_dir=Path(e.get("CPANET_SPOOL_DIR", str(BrokerSettings.spool_dir))),
        node_id=e.get("CPANET_NODE_ID", BrokerSettings.node_id),
        click_fsync=e.get("CPANET_CLICK_FSYNC", BrokerSettings.click_fsync),
        jobs_in_process=e.get("CPANET_JOBS_IN_PROCESS", BrokerSettings.jobs_in_process),
        outbound_allowlist=e.get("CPANET_OUTBOUND_ALLOWLIST", BrokerSettings.outbound_allowlist),
    )
    clicks = ClickSettings(
        preload=_flag(e, "CPANET_CLICK_PRELOAD", "1"),
        duplicate_slots=_int(e, "CPANET_FRAUD_DUPLICATE_SLOTS", ClickSettings.duplicate_slots),
        ip_slots=_int(e, "CPANET_FRAUD_IP_SLOTS", ClickSettings.ip_slots),
        sub_slots=_int(e, "CPANET_FRAUD_SUB_SLOTS", ClickSettings.sub_slots),
        ua_cache_size=_int(e, "CPANET_FRAUD_UA_CACHE", ClickSettings.ua_cache_size),
        range_files=split_paths(e.get("CPANET_FRAUD_RANGE_FILES", "")),
    )
    db_admin = DbAdminSettings(enabled=_flag(e, "CPANET_DB_ADMIN", "0"))
    return Settings(
        database=db, http=http, security=security, broker=broker, clicks=clicks, mail=mail, db_admin=db_admin
    )
