"""`cpanet terms backtest`: a long backtest from the command line, streaming samples with a progress bar."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import msgspec
from click.termui import progressbar

from network.db import bind_tables, build_engine, start, stop
from network.settings import Settings
from network.tenants import repository as tenants
from network.terms import repository as repo
from network.terms.service import compile_terms, program
from network.terms.tools import report_out
from rules import backtest, parse_rule


def _samples(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                value = parse_rule(line)
                if not isinstance(value, dict):
                    raise click.ClickException(f"{path}:{number}: each line must be a JSON object")
                yield value


async def _load_version(settings: Settings, network_slug: str, version_id: int) -> dict[str, Any]:
    engine = build_engine(settings.database)
    bind_tables(engine)
    await start(engine, settings.database)
    try:
        network = await tenants.by_slug(network_slug)
        if network is None:
            raise click.ClickException(f"no network {network_slug!r}")
        row = await repo.version(tenant_id=int(network["id"]), version_id=version_id)
        if row is None:
            raise click.ClickException(f"network {network_slug} has no terms version {version_id}")
        return row
    finally:
        await stop(engine)


def run_backtest_file(
    settings: Settings, network_slug: str, version_id: int, draft: Path, samples: Path
) -> dict[str, Any]:
    row = asyncio.run(_load_version(settings, network_slug, version_id))
    rules = parse_rule(draft.read_bytes())
    if not isinstance(rules, dict):
        raise click.ClickException("the draft must be a JSON object of rules")
    defaults = {"payout": None, "revenue": None, "hold_days": 0, "status": None}
    draft_program = compile_terms({k: rules.get(k, d) for k, d in defaults.items()}, row["currency"])
    with samples.open("rb") as lines:
        total = sum(1 for line in lines if line.strip())
    done = 0
    with progressbar(length=total, label="backtesting", file=sys.stderr) as bar:

        def advance(seen: int) -> None:
            nonlocal done
            bar.update(seen - done)
            done = seen

        report = backtest(program(row), draft_program, _samples(samples), progress=advance)
    return dict(msgspec.to_builtins(report_out(report, version_id, draft_program.currency)))
