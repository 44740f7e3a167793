"""Property-based API fuzzing with schemathesis against a live server: no input produces a 5xx, and every
4xx is an RFC 9457 problem details document.

Bounded: a fixed number of examples per operation. The server runs on 127.0.0.1 only and stops at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err

EXAMPLES_PER_OPERATION = int(os.environ.get("CPANET_SCHEMATHESIS_EXAMPLES", "12"))
# Operations that would end the fuzzing session itself (revoking its key, logging out); they are covered by
# the functional tests instead.
EXCLUDED = ["api_key_revoke", "auth_logout"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir: Path = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ,
        "CPANET_DATABASE_URL": database_url,
        "CPANET_PORT": str(port),
        "CPANET_ARGON2_TIME_COST": "1",
        "CPANET_ARGON2_MEMORY_KIB": "8",
        "CPANET_API_KEY_RATE_LIMIT": "1000000",
        "CPANET_DATABASE_POOL_MAX": "4",
        "CPANET_CLICK_PRELOAD": "0",
        "CPANET_FRAUD_DUPLICATE_SLOTS": "4096",
        "CPANET_FRAUD_IP_SLOTS": "4096",
        "CPANET_SPOOL_DIR": str(workdir / "spool"),
    }
    cli = [sys.executable, "-m", "network.cli"]
    subprocess.run([*cli, "demo", "seed"], cwd=workdir, env=env, check=True, capture_output=True)
    creds = json.loads((workdir / "var" / "demo-credentials.json").read_text())
    server = subprocess.Popen(
        [*cli, "serve"], cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield {"base": base, "admin_key": creds["users"][0]["api_key"]}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@schemathesis.check
def errors_are_problem_details(ctx: Any, response: Any, case: Any) -> None:
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), f"{response.status_code} {content_type}"
        body = json.loads(response.content)
        missing = {"type", "title", "status", "detail"} - set(body)
        assert not missing, f"problem details without {missing}"
        assert body["status"] == response.status_code


def test_api_never_fails_on_any_input(live_server: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server['base']}/schema/openapi.json")
    headers = {"Authorization": f"Bearer {live_server['admin_key']}"}
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"invalid operation in the OpenAPI document: {result.err()}")
            continue
        operation = result.ok()
        if operation.definition.raw.get("operationId") in EXCLUDED:
            continue
        tested += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, errors_are_problem_details])

        try:
            fuzz()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}"[:2000])
    assert tested >= 30
    assert not failures, "\n\n".join(failures)
