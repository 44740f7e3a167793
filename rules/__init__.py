"""cpanet rules: a compiling JsonLogic engine with exact money, for offer terms.

Pure code: no I/O, nothing imported from network/ or fastpath/. See docs/rules.md.
"""

from __future__ import annotations

from rules.backtest import BacktestReport, BacktestTotals, WebmasterDelta, backtest
from rules.canonical import canonical_json, parse_rule, rule_hash
from rules.compiler import CompiledRule, apply, clear_cache, compile_rule
from rules.context import TERMS_CONTEXT, ContextSpec, VarSpec, VarType
from rules.diff import ABSENT, RuleChange, diff_rules
from rules.errors import (
    RuleError,
    RuleEvaluationError,
    RuleLimitError,
    RuleProblem,
    RuleValidationError,
)
from rules.limits import DEFAULT_LIMITS, Limits
from rules.money import MINOR_UNITS, UnknownCurrencyError, allocate, minor_units, quantize
from rules.result_types import ResultKind
from rules.terms import TermsProgram, TermsResult
from rules.trace import TraceStep
from rules.validation import validate_rule

__all__ = [
    "ABSENT",
    "DEFAULT_LIMITS",
    "MINOR_UNITS",
    "TERMS_CONTEXT",
    "BacktestReport",
    "BacktestTotals",
    "CompiledRule",
    "ContextSpec",
    "Limits",
    "ResultKind",
    "RuleChange",
    "RuleError",
    "RuleEvaluationError",
    "RuleLimitError",
    "RuleProblem",
    "RuleValidationError",
    "TermsProgram",
    "TermsResult",
    "TraceStep",
    "UnknownCurrencyError",
    "VarSpec",
    "VarType",
    "WebmasterDelta",
    "allocate",
    "apply",
    "backtest",
    "canonical_json",
    "clear_cache",
    "compile_rule",
    "diff_rules",
    "minor_units",
    "parse_rule",
    "quantize",
    "rule_hash",
    "validate_rule",
]
