"""Backtest a draft of offer terms against past conversions, before publishing it.

Pure: the caller streams samples (the same context mappings ``TermsProgram.evaluate`` takes) from
wherever it keeps them. A rejected conversion pays nothing, so its payout and revenue count as zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rules.coercion import CTX
from rules.errors import RuleEvaluationError
from rules.terms import TermsProgram, TermsResult

PROGRESS_EVERY = 1000
_ZERO = Decimal(0)


@dataclass(slots=True)
class WebmasterDelta:
    webmaster_id: Any
    count: int = 0
    changed: int = 0  # conversions whose payout, revenue, hold or status differ
    current_payout: Decimal = _ZERO
    draft_payout: Decimal = _ZERO
    current_revenue: Decimal = _ZERO
    draft_revenue: Decimal = _ZERO

    @property
    def payout_delta(self) -> Decimal:
        return self.draft_payout - self.current_payout

    @property
    def revenue_delta(self) -> Decimal:
        return self.draft_revenue - self.current_revenue


@dataclass(slots=True)
class BacktestTotals:
    count: int = 0
    changed: int = 0
    current_payout: Decimal = _ZERO
    draft_payout: Decimal = _ZERO
    current_revenue: Decimal = _ZERO
    draft_revenue: Decimal = _ZERO

    @property
    def payout_delta(self) -> Decimal:
        return self.draft_payout - self.current_payout

    @property
    def revenue_delta(self) -> Decimal:
        return self.draft_revenue - self.current_revenue

    @property
    def profit_delta(self) -> Decimal:
        return self.revenue_delta - self.payout_delta


@dataclass(slots=True)
class BacktestError:
    index: int  # position of the sample in the input
    program: str  # "current" or "draft"
    pointer: str
    message: str


@dataclass(slots=True)
class BacktestReport:
    totals: BacktestTotals
    by_webmaster: dict[Any, WebmasterDelta]
    errors: list[BacktestError] = field(default_factory=list)

    def biggest_changes(self, limit: int = 20) -> list[WebmasterDelta]:
        """Webmasters whose payout moves the most (absolute delta), largest first."""
        moved = [row for row in self.by_webmaster.values() if row.changed]
        moved.sort(key=lambda row: (-abs(row.payout_delta), str(row.webmaster_id)))
        return moved[:limit]


def paid(result: TermsResult) -> tuple[Decimal, Decimal]:
    """(payout, revenue) that would actually be booked for this result."""
    if result.status == "reject":
        return _ZERO, _ZERO
    return result.payout, result.revenue


def _webmaster_id(sample: Mapping[str, Any]) -> Any:
    webmaster = sample.get("webmaster")
    return webmaster.get("id") if isinstance(webmaster, Mapping) else None


def backtest(
    current: TermsProgram,
    draft: TermsProgram,
    samples: Iterable[Mapping[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> BacktestReport:
    """Evaluate both programs on every sample; samples either program fails on are listed in ``errors``
    and left out of the totals."""
    if current.currency != draft.currency:
        raise ValueError(f"cannot compare terms in {current.currency} with terms in {draft.currency}")
    totals = BacktestTotals()
    rows: dict[Any, WebmasterDelta] = {}
    errors: list[BacktestError] = []
    seen = 0
    for index, sample in enumerate(samples):
        seen = index + 1
        if progress is not None and seen % PROGRESS_EVERY == 0:
            progress(seen)
        results: list[TermsResult] = []
        for name, program in (("current", current), ("draft", draft)):
            try:
                results.append(program.evaluate(sample))
            except RuleEvaluationError as exc:
                errors.append(BacktestError(index, name, exc.pointer, exc.message))
                break
        if len(results) != 2:
            continue
        before, after = results
        (cur_pay, cur_rev), (new_pay, new_rev) = paid(before), paid(after)
        changed = int(before != after)
        wm_id = _webmaster_id(sample)
        row = rows.get(wm_id)
        if row is None:
            row = rows[wm_id] = WebmasterDelta(wm_id)
        for acc in (totals, row):
            acc.count += 1
            acc.changed += changed
            # Explicit context: sums must not depend on whatever decimal context the caller's thread has.
            acc.current_payout = CTX.add(acc.current_payout, cur_pay)
            acc.draft_payout = CTX.add(acc.draft_payout, new_pay)
            acc.current_revenue = CTX.add(acc.current_revenue, cur_rev)
            acc.draft_revenue = CTX.add(acc.draft_revenue, new_rev)
    if progress is not None and seen % PROGRESS_EVERY:
        progress(seen)
    return BacktestReport(totals, rows, errors)
