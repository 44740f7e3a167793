"""Run the `cpanet` command against a given database, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cpanet(database_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CPANET_DATABASE_URL": database_url,
        # Argon2 at its minimum cost: the KDF's strength is not what these tests check.
        "CPANET_ARGON2_TIME_COST": "1",
        "CPANET_ARGON2_MEMORY_KIB": "8",
    }
    return subprocess.run(
        [sys.executable, "-m", "network.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
