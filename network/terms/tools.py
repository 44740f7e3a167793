"""Dry-run, backtest and diff: the tools an advertiser uses before publishing terms."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from network.errors import NotFoundError, ValidationError
from network.offers.service import load_managed
from network.principal import Principal
from network.tenants import repository as tenants
from network.terms import repository as repo
from network.terms import resolution
from network.terms.history import MAX_DAYS, History, day_range
from network.terms.schemas import (
    BacktestIn,
    BacktestOut,
    BacktestRow,
    DiffOut,
    DryRunIn,
    DryRunOut,
    RuleChangeOut,
    TraceStepOut,
)
from network.terms.service import compile_terms, now, parse_rules, program, stored_version
from rules import ABSENT, RuleError, backtest, canonical_json, diff_rules, parse_rule
from rules.backtest import BacktestReport, BacktestTotals, WebmasterDelta

# The API replays at most this many conversions in one request; the CLI streams any number.
MAX_CONVERSIONS = 100_000


def with_defaults(
    context: Mapping[str, Any], network: Mapping[str, Any], offer: Mapping[str, Any]
) -> dict[str, Any]:
    """Fill what the network knows (time zone, currency, offer id) unless the caller set it."""
    out = dict(context)
    out.setdefault("network", {}).setdefault("timezone", network["timezone"])
    out["network"].setdefault("currency", network["currency"])
    out.setdefault("offer", {}).setdefault("id", offer["id"])
    out["offer"].setdefault("category", offer["category"])
    return out


async def dry_run(principal: Principal, offer_id: int, data: DryRunIn) -> DryRunOut:
    offer = await load_managed(principal, offer_id)
    if (data.version_id is None) == (data.rules is None):
        raise ValidationError("give either version_id or rules", field="version_id")
    if data.version_id is not None:
        terms = program(await stored_version(principal, offer_id, data.version_id))
    else:
        assert data.rules is not None
        terms = compile_terms(parse_rules(data.rules), offer["currency"])
    context = data.context
    network = await tenants.get(tenant_id=principal.network_id)
    assert network is not None
    try:
        result = terms.evaluate(with_defaults(context, network, offer), trace=True)
    except RuleError as exc:
        raise ValidationError(f"evaluation failed: {exc}", pointer=getattr(exc, "pointer", "")) from exc
    return DryRunOut(
        payout=str(result.payout),
        revenue=str(result.revenue),
        currency=terms.currency,
        hold_days=result.hold_days,
        status=result.status,
        reason=result.reason,
        version_hash=terms.version,
        trace=[
            TraceStepOut(pointer=s.pointer, op=s.op, branch=s.branch, short_circuit=s.short_circuit)
            for s in result.trace
        ],
    )


def _row(delta: WebmasterDelta | BacktestTotals, webmaster_id: Any) -> BacktestRow:
    return BacktestRow(
        webmaster_id=webmaster_id,
        count=delta.count,
        changed=delta.changed,
        current_payout=str(delta.current_payout),
        draft_payout=str(delta.draft_payout),
        payout_delta=str(delta.payout_delta),
        current_revenue=str(delta.current_revenue),
        draft_revenue=str(delta.draft_revenue),
        revenue_delta=str(delta.revenue_delta),
    )


def report_out(report: BacktestReport, against_id: int, currency: str) -> BacktestOut:
    return BacktestOut(
        against_version_id=against_id,
        currency=currency,
        totals=_row(report.totals, None),
        by_webmaster=[
            _row(d, d.webmaster_id)
            for d in sorted(report.by_webmaster.values(), key=lambda d: str(d.webmaster_id))
        ],
        errors=[str(e) for e in report.errors[:100]],
    )


async def current_offer_version(tenant_id: int, offer_id: int, at: datetime) -> dict[str, Any]:
    rows = [r for r in await repo.versions(tenant_id=tenant_id, offer_id=offer_id) if r["scope"] == "offer"]
    row = resolution.in_force(rows, 0, [], at)
    if row is None:
        raise NotFoundError("the offer has no terms in force to compare with; publish a first version")
    return row


async def backtest_offer(principal: Principal, offer_id: int, data: BacktestIn) -> BacktestOut:
    offer = await load_managed(principal, offer_id)
    if data.against_version_id is not None:
        against = await stored_version(principal, offer_id, data.against_version_id)
    else:
        against = await current_offer_version(principal.network_id, offer_id, now())
    rules = parse_rules(data.draft)
    draft = compile_terms(rules, offer["currency"])
    network = await tenants.get(tenant_id=principal.network_id)
    assert network is not None
    if data.samples is not None:
        if data.date_from is not None or data.date_to is not None:
            raise ValidationError("give either samples or a date range of past conversions, not both")
        filled = [with_defaults(s, network, offer) for s in data.samples]
        report = backtest(program(against), draft, filled)
        return report_out(report, int(against["id"]), draft.currency)
    past = await _history(principal.network_id, offer_id, data, network["timezone"], rules)
    if await past.count() > MAX_CONVERSIONS:
        raise ValidationError(
            f"more than {MAX_CONVERSIONS:,} conversions in that range: narrow it, or run "
            "`cpanet terms backtest --date-from --date-to`, which streams them",
            field="date_from",
        )
    contexts = [c async for c in past.samples()]
    report = backtest(program(against), draft, contexts)
    out = report_out(report, int(against["id"]), draft.currency)
    return msgspec.structs.replace(
        out,
        source="conversions",
        skipped_not_billable=past.skipped_not_billable,
        skipped_no_rules=past.skipped_no_rules,
    )


async def _history(
    tenant_id: int, offer_id: int, data: BacktestIn, timezone: str, draft_rules: Mapping[str, Any]
) -> History:
    if data.date_from is None or data.date_to is None:
        raise ValidationError(
            "give date_from and date_to to replay the offer's past conversions, or samples",
            field="date_from" if data.date_from is None else "date_to",
        )
    if data.date_to < data.date_from:
        raise ValidationError("date_to is before date_from", field="date_to")
    if (data.date_to - data.date_from).days >= MAX_DAYS:
        raise ValidationError(f"a backtest covers at most {MAX_DAYS} days", field="date_to")
    start, end = day_range(data.date_from, data.date_to, timezone)
    return History(
        tenant_id,
        offer_id,
        start,
        end,
        timezone,
        needs_month_count="count_this_month" in canonical_json(dict(draft_rules)),
    )


def _raw(value: Any) -> msgspec.Raw | None:
    return None if value is ABSENT else msgspec.Raw(canonical_json(value).encode())


async def diff(principal: Principal, offer_id: int, from_id: int, to_id: int) -> DiffOut:
    await load_managed(principal, offer_id)
    before = parse_rule((await stored_version(principal, offer_id, from_id))["rules"])
    after = parse_rule((await stored_version(principal, offer_id, to_id))["rules"])
    changes = []
    for name in ("payout", "revenue", "hold_days", "status"):
        for change in diff_rules(before.get(name), after.get(name)):
            changes.append(
                RuleChangeOut(
                    pointer=f"/{name}{change.pointer}", before=_raw(change.before), after=_raw(change.after)
                )
            )
    return DiffOut(from_version_id=from_id, to_version_id=to_id, changes=changes)
