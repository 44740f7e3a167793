"""Browser tests: a real ``cpanet serve`` on the demo network, driven by headless Chromium (playwright).

The server and the browser are started once for this package (``scope="package"``) and stopped when its
last test is done, so the rest of the suite never runs beside an idle server. Without Chromium or
playwright the tests skip, except with CPANET_REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.support import CHROMIUM, LAUNCH_ARGS, SCREENSHOTS, Demo, Sessions
from tests.support import services

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def _need_browser() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if not missing:
        return
    services.missing("browser tests need " + " and ".join(missing))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cpanet() -> str:
    found = shutil.which("cpanet", path=str(ROOT / ".venv" / "bin")) or shutil.which("cpanet")
    assert found, "the cpanet command is not installed (make install)"
    return found


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"cpanet serve exited with {process.returncode}:\n{log.read_text()}", pytrace=False)
        try:
            if httpx.get(f"{base_url}/health", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"cpanet serve did not answer /health in {START_TIMEOUT:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A fresh SQLite database with the demo network, served by ``cpanet serve`` on a free port.

    The commands run in a temporary working directory, so the demo credentials (var/demo-credentials.json)
    and the click journal never touch the repository's own var/."""
    _need_browser()
    work = tmp_path_factory.mktemp("cpanet-browser")
    port = _free_port()
    env = {
        **os.environ,
        "CPANET_DATABASE_URL": f"sqlite:///{work / 'cpanet.sqlite3'}",
        "CPANET_HOST": "127.0.0.1",
        "CPANET_PORT": str(port),
        "CPANET_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CPANET_AMQP_URL": "embedded",
        "CPANET_SPOOL_DIR": str(work / "spool"),
        # Queued postbacks and hold releases run in the server, as in `make run`.
        "CPANET_JOBS_IN_PROCESS": "1",
        # Clicks come "through a proxy" that tells the client address and country.
        "CPANET_TRUST_PROXY_HEADERS": "1",
        # Argon2 at its minimum cost and small fraud tables: neither is under test here.
        "CPANET_ARGON2_TIME_COST": "1",
        "CPANET_ARGON2_MEMORY_KIB": "8",
        "CPANET_FRAUD_DUPLICATE_SLOTS": "4096",
        "CPANET_FRAUD_IP_SLOTS": "4096",
        "CPANET_FRAUD_SUB_SLOTS": "1024",
        "CPANET_FRAUD_UA_CACHE": "1024",
        "PYTHONUNBUFFERED": "1",
    }
    cpanet = _cpanet()
    for args in (["db", "migrate"], ["demo", "seed"]):
        done = subprocess.run(
            [cpanet, *args], cwd=work, env=env, capture_output=True, text=True, timeout=180, check=False
        )
        assert done.returncode == 0, f"cpanet {' '.join(args)}: {done.stdout}{done.stderr}"
    credentials = json.loads((work / "var" / "demo-credentials.json").read_text())
    log = work / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [cpanet, "serve"], cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, process, log)
        yield Demo(base_url=base_url, credentials=credentials, database=work / "cpanet.sqlite3", log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="package")
def chromium(demo: Demo) -> Iterator[Browser]:
    """Debian's Chromium, headless; playwright gives every launch a fresh temporary profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="package")
def logins(demo: Demo, chromium: Browser) -> Sessions:
    """Log-ins through the log-in form, made once per user and reused (the form is rate-limited)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return Sessions(demo, chromium)


@pytest.fixture
def sessions(logins: Sessions) -> Iterator[Sessions]:
    """The tabs a test opens are closed after it."""
    yield logins
    logins.close_opened()
