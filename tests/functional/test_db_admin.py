"""The operators' table browser (piccolo-admin at /admin/db/), through the real app and the real command.

One app per module and database engine: the operators come from `cpanet operator create`, log in through
piccolo-admin's own login endpoint, read rows through its API, and are refused every write. Network logins
(an e-mail and password, a session cookie, an API key) never get in, and no hash leaves the server.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from httpx import Response
from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser

from admin_ui.mount import SECURITY_HEADERS
from network.accounts import authn
from network.accounts import service as accounts
from network.accounts.schemas import ApiKeyCreate, UserCreate
from network.accounts.security import PasswordHashing
from network.accounts.tables import User
from network.app import create_app
from network.audit.tables import AuditEntry
from network.demo import _first_admin, _principal_for
from network.ledger import service as ledger
from network.ledger.schemas import DepositIn
from network.ledger.tables import Posting
from network.operators.table_browser import CSP, SECRET_COLUMNS
from network.piccolo_apps import APPS
from network.settings import DbAdminSettings, Settings
from network.tenants import service as tenants
from tests.support.cli import cpanet
from tests.support.client import Client

pytestmark = pytest.mark.asyncio(loop_scope="module")

PASSWORD = "operator-password-1"
# Columns whose names look like secrets but are not: a lookup prefix, a content hash of public rules, and
# piccolo's own columns, which piccolo itself marks secret (checked below).
HARMLESS = {("postback_auth", "token_prefix"), ("terms_version", "version_hash")}
PICCOLO_SECRETS = {("piccolo_user", "password"), ("sessions", "token")}
SECRET_LOOKING = re.compile(r"hash|secret|token|password|csrf")


@dataclasses.dataclass
class Network:
    id: int
    slug: str
    admin_email: str
    admin_user_id: int
    api_key: str
    posting_id: int
    audit_id: int


@pytest.fixture(scope="module")
def db_admin_settings(module_settings: Settings) -> Settings:
    return dataclasses.replace(module_settings, db_admin=DbAdminSettings(enabled=True))


@pytest.fixture(scope="module")
def operator(database_url: str) -> str:
    """Made as an operator would make one: `cpanet operator create --password-stdin`."""
    name = f"op-{uuid.uuid4().hex[:8]}"
    result = cpanet(
        database_url, "operator", "create", "--username", name, "--password-stdin", stdin=PASSWORD
    )
    assert result.returncode == 0, result.stderr
    assert f"operator {name} created" in result.stdout
    assert f"operator created: {name}" in result.stderr  # the log line that stands in for an audit row
    return name


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin_client(db_admin_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(db_admin_settings)) as c:
        yield c


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def network(admin_client: Client) -> Network:
    """A network with a network admin (a session and an API key), an advertiser's deposit (postings) and
    its audit rows."""
    hasher: PasswordHashing = admin_client.app.state.hasher
    tag = uuid.uuid4().hex[:10]
    network_id = await tenants.create_network(
        slug=f"dba-{tag}", name=f"DB admin {tag}", tracking_host=f"{tag}.example"
    )
    email = f"admin-{tag}@example.com"
    admin = await _first_admin(network_id, email, hasher.hash("admin-password"))
    created = await accounts.create_user(
        admin,
        UserCreate(email=f"adv-{tag}@example.com", password="correct-horse-battery", role="advertiser"),
        hasher,
    )
    advertiser = await _principal_for(network_id, created.id)
    assert advertiser.advertiser_id
    await ledger.deposit(admin, advertiser.advertiser_id, DepositIn(amount="25.00", currency="USD"))
    key = await authn.create_api_key(admin, ApiKeyCreate(name="dba"), 1000)
    posting = await Posting.select(Posting.id).where(Posting.network == network_id).first()
    audit = await AuditEntry.select(AuditEntry.id).where(AuditEntry.network == network_id).first()
    assert posting and audit
    return Network(network_id, f"dba-{tag}", email, admin.user_id, key.secret, posting["id"], audit["id"])


def _set_cookies(response: Response) -> dict[str, str]:
    out = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        out[name.strip()] = rest.split(";", 1)[0].strip('"')
    return out


class Operator:
    """A browser session of piccolo-admin: its session cookie and its double-submit CSRF token."""

    def __init__(self, client: Client, cookies: dict[str, str]) -> None:
        self.client = client
        self.cookies = cookies

    def headers(self) -> dict[str, str]:
        return {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-CSRFToken": self.cookies["csrftoken"],
        }

    async def request(self, method: str, path: str, **kwargs: Any) -> Response:
        return await self.client.request(method, "/admin/db" + path, headers=self.headers(), **kwargs)


async def _login(client: Client, username: str, password: str) -> tuple[Response, Operator]:
    """piccolo-admin's own log-in (POST /admin/db/public/login/), after the page gave out a CSRF cookie."""
    client.cookies.clear()  # a fresh browser: every request below names its cookies
    page = await client.get("/admin/db/")
    cookies = {"csrftoken": _set_cookies(page)["csrftoken"]}
    response = await client.post(
        "/admin/db/public/login/",
        json={"username": username, "password": password},
        headers={"Cookie": f"csrftoken={cookies['csrftoken']}", "X-CSRFToken": cookies["csrftoken"]},
    )
    cookies.update(_set_cookies(response))
    return response, Operator(client, cookies)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(admin_client: Client, operator: str) -> Operator:
    response, op = await _login(admin_client, operator, PASSWORD)
    assert response.status_code == 200, response.text
    assert "id" in op.cookies
    return op


async def test_the_app_is_served_with_its_own_csp_and_the_cabinets_keep_theirs(admin_client: Client) -> None:
    page = await admin_client.get("/admin/db/")
    assert page.status_code == 200
    assert '<div id="app">' in page.text
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "http" not in CSP and "unsafe-eval" not in CSP
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    script = re.search(r'src="\./(assets/[^"]+\.js)"', page.text)
    assert script
    asset = await admin_client.get("/admin/db/" + script.group(1))
    assert asset.status_code == 200
    assert "javascript" in asset.headers["content-type"]
    assert asset.headers["content-security-policy"] == CSP
    slashless = await admin_client.get("/admin/db", follow_redirects=False)
    assert slashless.status_code == 308 and slashless.headers["location"] == "/admin/db/"
    assert (await admin_client.get("/admin/dbx/")).status_code == 404

    strict = next(h.value for h in SECURITY_HEADERS if h.name == "Content-Security-Policy")
    login = await admin_client.get("/ui/login")
    assert login.status_code == 200
    assert login.headers["content-security-policy"] == strict
    assert "script-src" not in strict and "default-src 'none'" in strict
    assert login.headers["x-frame-options"] == "DENY"


async def test_an_operator_lists_rows_of_every_network_grouped_by_app(
    session: Operator, network: Network
) -> None:
    tables = await session.request("GET", "/api/tables/")
    assert tables.status_code == 200, tables.text
    every = {t._meta.tablename for app in APPS for t in app.table_classes}
    assert set(tables.json()) == every
    grouped = (await session.request("GET", "/api/tables/grouped/")).json()["grouped"]
    assert "posting" in grouped["ledger"] and "audit_entry" in grouped["audit"]
    assert set(grouped["operators"]) == {"piccolo_user", "sessions"}

    rows = await session.request("GET", "/api/tables/posting/", params={"network": network.id})
    assert rows.status_code == 200, rows.text
    assert {row["network"] for row in rows.json()["rows"]} == {network.id}
    assert network.posting_id in {row["id"] for row in rows.json()["rows"]}
    audit = await session.request("GET", f"/api/tables/audit_entry/{network.audit_id}/")
    assert audit.status_code == 200 and audit.json()["network"] == network.id


@pytest.mark.parametrize(
    ("method", "table", "row"),
    [
        ("POST", "posting", None),
        ("PATCH", "posting", "posting"),
        ("PUT", "posting", "posting"),
        ("DELETE", "posting", "posting"),
        ("POST", "audit_entry", None),
        ("PATCH", "audit_entry", "audit"),
        ("DELETE", "audit_entry", "audit"),
        ("PATCH", "network", "network"),  # neither money nor audit: read-only all the same
        ("PATCH", "app_user", "user"),
        ("DELETE", "piccolo_user", "operator"),
    ],
)
async def test_every_write_is_refused_and_changes_nothing(
    session: Operator, network: Network, operator: str, method: str, table: str, row: str | None
) -> None:
    me = await BaseUser.select(BaseUser.id).where(BaseUser.username == operator).first()
    assert me
    ids = {
        "posting": network.posting_id,
        "audit": network.audit_id,
        "network": network.id,
        "user": network.admin_user_id,
        "operator": me["id"],
    }
    path = f"/api/tables/{table}/" + (f"{ids[row]}/" if row else "")
    before = (await session.request("GET", path)).json() if row else None
    body = {"amount": 1, "reason": "rewritten", "name": "rewritten", "email": "rewritten@example.com"}
    response = await session.request(method, path, json=None if method == "DELETE" else body)
    assert response.status_code == 405, (method, path, response.status_code, response.text)
    if row:
        assert (await session.request("GET", path)).json() == before
    assert await AuditEntry.count().where(AuditEntry.reason == "rewritten") == 0
    assert await Posting.count().where(Posting.network == network.id) == 2


async def test_an_operator_cannot_change_their_password_through_the_browser(session: Operator) -> None:
    new = "another-password-2"
    changed = await session.request(
        "POST",
        "/api/change-password/",
        json={"current_password": PASSWORD, "new_password": new, "confirm_new_password": new},
    )
    assert changed.status_code == 405, changed.text
    assert (await session.request("GET", "/api/user/")).status_code == 200  # still logged in, same password


async def test_a_network_login_does_not_open_the_table_browser(
    admin_client: Client, network: Network
) -> None:
    refused, _ = await _login(admin_client, network.admin_email, "admin-password")
    assert refused.status_code == 401
    api_login = await admin_client.post(
        "/api/v1/auth/login",
        json={"network": network.slug, "email": network.admin_email, "password": "admin-password"},
    )
    assert api_login.status_code == 200
    cabinet = {"Cookie": f"cpanet_session={_set_cookies(api_login)['cpanet_session']}"}
    for headers in (cabinet, {"Authorization": f"Bearer {network.api_key}"}, {}):
        response = await admin_client.get("/admin/db/api/tables/posting/", headers=headers)
        assert response.status_code == 401, headers
        assert "rows" not in response.text
    # and the network session still works where it belongs
    assert (await admin_client.get("/api/v1/me", headers=cabinet)).status_code == 200


async def test_no_hash_or_secret_leaves_the_server(
    session: Operator, network: Network, operator: str
) -> None:
    stored = await User.select(User.password_hash).where(User.id == network.admin_user_id).first()
    assert stored and stored["password_hash"]
    rows = await session.request("GET", "/api/tables/app_user/", params={"network": network.id})
    assert rows.status_code == 200
    assert rows.json()["rows"] and stored["password_hash"] not in rows.text
    assert all("password_hash" not in row for row in rows.json()["rows"])
    single = await session.request("GET", f"/api/tables/app_user/{network.admin_user_id}/")
    assert single.status_code == 200 and "password_hash" not in single.json()
    asked = await session.request(
        "GET", "/api/tables/app_user/", params={"__visible_fields": "id,password_hash"}
    )
    assert asked.status_code == 400 and stored["password_hash"] not in asked.text
    for table, hidden in SECRET_COLUMNS.items():
        schema = await session.request("GET", f"/api/tables/{table}/schema/")
        assert schema.status_code == 200
        assert not hidden & set(schema.json()["properties"]), table
        listed = await session.request("GET", f"/api/tables/{table}/", params={"__page_size": 100})
        assert listed.status_code == 200
        assert not any(hidden & set(row) for row in listed.json()["rows"]), table
    me = await BaseUser.select(BaseUser.id).where(BaseUser.username == operator).first()
    assert me
    # (by id: a text filter is a LIKE, which piccolo warns about on SQLite)
    operators = await session.request("GET", "/api/tables/piccolo_user/", params={"id": me["id"]})
    assert operators.status_code == 200, operators.text
    assert [row["username"] for row in operators.json()["rows"]] == [operator]
    # piccolo marks its password column secret: the field comes back empty
    assert operators.json()["rows"][0].get("password") is None and "pbkdf2" not in operators.text
    sessions = await session.request("GET", "/api/tables/sessions/")
    assert sessions.status_code == 200 and session.cookies["id"] not in sessions.text


async def test_every_secret_looking_column_is_hidden_or_declared_harmless() -> None:
    for app in APPS:
        for table in app.table_classes:
            name = table._meta.tablename
            for column in table._meta.columns:
                key = (name, column._meta.name)
                if not SECRET_LOOKING.search(column._meta.name) or key in HARMLESS:
                    continue
                if key in PICCOLO_SECRETS:
                    assert column._meta.secret, key
                    continue
                assert column._meta.name in SECRET_COLUMNS.get(name, frozenset()), key


async def test_a_new_password_or_a_deactivation_shuts_the_old_session_out(
    admin_client: Client, database_url: str
) -> None:
    name = f"op-{uuid.uuid4().hex[:8]}"
    made = cpanet(
        database_url,
        "operator",
        "create",
        "--username",
        name,
        "--superuser",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert made.returncode == 0, made.stderr
    first, stale = await _login(admin_client, name, PASSWORD)
    assert first.status_code == 200
    new = "a-new-password-3"
    changed = cpanet(database_url, "operator", "password", "--username", name, "--password-stdin", stdin=new)
    assert changed.returncode == 0, changed.stderr
    assert (await stale.request("GET", "/api/tables/")).status_code == 401  # sessions end with the password
    assert (await _login(admin_client, name, PASSWORD))[0].status_code == 401
    response, op = await _login(admin_client, name, new)
    assert response.status_code == 200
    assert (await op.request("GET", "/api/tables/")).status_code == 200
    gone = cpanet(database_url, "operator", "deactivate", "--username", name)
    assert gone.returncode == 0, gone.stderr
    assert f"operator deactivated: {name}" in gone.stderr
    assert (await op.request("GET", "/api/tables/")).status_code == 401
    _, again = await _login(admin_client, name, new)
    assert (await again.request("GET", "/api/tables/")).status_code == 401
    assert re.search(rf"{name}\s+no\s+yes", cpanet(database_url, "operator", "list").stdout)
    assert (
        "no operator named" in cpanet(database_url, "operator", "deactivate", "--username", "nobody").stderr
    )
    short = cpanet(database_url, "operator", "create", "--username", "x", "--password-stdin", stdin="short")
    assert short.returncode != 0 and "10 to 128 characters" in short.stderr


async def test_with_the_setting_off_there_is_no_table_browser(module_settings: Settings) -> None:
    assert not module_settings.db_admin.enabled  # the default
    async with AsyncTestClient(app=create_app(module_settings)) as client:
        for path in ("/admin/db/", "/admin/db/api/tables/", "/admin/db/public/login/"):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.post("/admin/db/public/login/", json={})).status_code in (404, 405)
