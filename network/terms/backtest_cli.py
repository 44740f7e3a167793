"""`cpanet terms backtest`: a long backtest from the command line with a progress bar, streaming either a file
of samples or the offer's past conversions from the database."""

from __future__ import annotations

import asyncio
import queue
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click
import msgspec
from click.termui import progressbar

from network.db import bind_tables, build_engine, start, stop
from network.settings import Settings
from network.tenants import repository as tenants
from network.terms import repository as repo
from network.terms.history import MAX_DAYS, History, day_range
from network.terms.service import compile_terms, program
from network.terms.tools import report_out
from rules import TermsProgram, backtest, canonical_json, parse_rule
from rules.backtest import BacktestReport

_DONE = object()


def _samples(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                value = parse_rule(line)
                if not isinstance(value, dict):
                    raise click.ClickException(f"{path}:{number}: each line must be a JSON object")
                yield value


async def _network_and_version(network_slug: str, version_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The network and one of its terms versions, or a one-line error (on an engine already started)."""
    network = await tenants.by_slug(network_slug)
    if network is None:
        raise click.ClickException(f"no network {network_slug!r}")
    row = await repo.version(tenant_id=int(network["id"]), version_id=version_id)
    if row is None:
        raise click.ClickException(f"network {network_slug} has no terms version {version_id}")
    return network, row


async def _load_version(settings: Settings, network_slug: str, version_id: int) -> dict[str, Any]:
    engine = build_engine(settings.database)
    bind_tables(engine)
    await start(engine, settings.database)
    try:
        return (await _network_and_version(network_slug, version_id))[1]
    finally:
        await stop(engine)


def _draft(path: Path, currency: str) -> tuple[dict[str, Any], TermsProgram]:
    rules = parse_rule(path.read_bytes())
    if not isinstance(rules, dict):
        raise click.ClickException("the draft must be a JSON object of rules")
    defaults = {"payout": None, "revenue": None, "hold_days": 0, "status": None}
    chosen = {k: rules.get(k, d) for k, d in defaults.items()}
    return chosen, compile_terms(chosen, currency)


def _with_progress(total: int, run: Callable[[Callable[[int], None]], BacktestReport]) -> BacktestReport:
    done = 0
    with progressbar(length=total, label="backtesting", file=sys.stderr) as bar:

        def advance(seen: int) -> None:
            nonlocal done
            bar.update(seen - done)
            done = seen

        return run(advance)


def run_backtest_file(
    settings: Settings, network_slug: str, version_id: int, draft: Path, samples: Path
) -> dict[str, Any]:
    row = asyncio.run(_load_version(settings, network_slug, version_id))
    _, draft_program = _draft(draft, row["currency"])
    with samples.open("rb") as lines:
        total = sum(1 for line in lines if line.strip())
    report = _with_progress(
        total, lambda advance: backtest(program(row), draft_program, _samples(samples), progress=advance)
    )
    return dict(msgspec.to_builtins(report_out(report, version_id, draft_program.currency)))


async def _replay(
    settings: Settings, network_slug: str, version_id: int, draft: Path, date_from: date, date_to: date
) -> dict[str, Any]:
    engine = build_engine(settings.database)
    bind_tables(engine)
    await start(engine, settings.database)
    try:
        network, row = await _network_and_version(network_slug, version_id)
        chosen, draft_program = _draft(draft, row["currency"])
        start_at, end_at = day_range(date_from, date_to, network["timezone"])
        past = History(
            int(network["id"]),
            int(row["offer"]),
            start_at,
            end_at,
            network["timezone"],
            needs_month_count="count_this_month" in canonical_json(chosen),
        )
        total = await past.count()
        # The database is read here, page by page; the rules run in a thread that takes the contexts from a
        # bounded queue, so memory stays flat however many conversions the range holds.
        handoff: queue.Queue[object] = queue.Queue(maxsize=5000)

        def contexts() -> Iterator[dict[str, Any]]:
            while (item := handoff.get()) is not _DONE:
                assert isinstance(item, dict)
                yield item

        def evaluate(advance: Callable[[int], None]) -> BacktestReport:
            return backtest(program(row), draft_program, contexts(), progress=advance)

        worker = asyncio.create_task(asyncio.to_thread(_with_progress, total, evaluate))
        try:
            async for context in past.samples():
                while True:
                    try:
                        handoff.put_nowait(context)
                        break
                    except queue.Full:
                        await asyncio.sleep(0.005)
        finally:
            await asyncio.to_thread(handoff.put, _DONE)
        report = await worker
        out = report_out(report, version_id, draft_program.currency)
        return dict(
            msgspec.to_builtins(out)
            | {
                "source": "conversions",
                "skipped_not_billable": past.skipped_not_billable,
                "skipped_no_rules": past.skipped_no_rules,
            }
        )
    finally:
        await stop(engine)


def run_backtest_conversions(
    settings: Settings, network_slug: str, version_id: int, draft: Path, date_from: date, date_to: date
) -> dict[str, Any]:
    if date_to < date_from:
        raise click.ClickException("--date-to is before --date-from")
    if (date_to - date_from).days >= MAX_DAYS:
        raise click.ClickException(f"a backtest covers at most {MAX_DAYS} days")
    return asyncio.run(_replay(settings, network_slug, version_id, draft, date_from, date_to))
