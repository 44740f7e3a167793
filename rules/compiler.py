"""Compile a rule once into nested Python closures.

Every node becomes a closure ``fn(data, state)``; ``state`` is a small list
``[operations_left, root_data, trace_or_None]`` created per evaluation. No eval/exec: closures are plain
functions built by the factories in ``builders.py``. The compiler recurses once per nesting level, which is
safe because every rule is checked against ``Limits.max_depth`` (at most HARD_MAX_DEPTH) first.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rules import builders, builders_ops
from rules.builders import Factory, Fn
from rules.canonical import canonical_json
from rules.errors import RuleEvaluationError, RuleProblem, RuleValidationError, escape_token
from rules.limits import DEFAULT_LIMITS, Limits
from rules.trace import TraceStep
from rules.validation import structural_problems

# Every operator of the catalogue (operators.OPERATORS) has exactly one factory; a test checks it.
FACTORIES: dict[str, Factory] = {**builders.FACTORIES, **builders_ops.FACTORIES}
_CACHE_SIZE = 4096
_cache: dict[tuple[str, Limits], CompiledRule] = {}
_cache_lock = threading.Lock()


# RecursionError: rules are depth-limited but data is not; String() of a 10,000-deep array recurses.
_UNEXPECTED = (TypeError, ValueError, ArithmeticError, KeyError, IndexError, RecursionError)
# Shared by evaluations of rules that never touch their state (see BuildContext.needs_state).
_UNUSED_STATE: list[Any] = [0, None, None]


def _failed(exc: Exception) -> RuleEvaluationError:
    # A data shape no operator anticipated; still a typed error, never a bare exception.
    return RuleEvaluationError("evaluation_failed", f"evaluation failed: {exc!r}")


class CompiledRule:
    """A rule compiled to closures; immutable and safe to share between threads.

    ``evaluate(data)`` returns the rule's value or raises RuleEvaluationError (RuleLimitError when the
    operation budget or a size limit runs out). It is an attribute holding a closure rather than a method:
    one attribute lookup less per call on the hot path.
    """

    __slots__ = ("_traced", "evaluate", "limits", "rule", "rule_hash")

    evaluate: Callable[[Any], Any]

    def __init__(self, rule: Any, rule_hash: str, limits: Limits) -> None:
        self.rule = rule
        self.rule_hash = rule_hash
        self.limits = limits
        self._traced: Fn | None = None
        compiler = _Compiler(limits, traced=False)
        fn = compiler.compile(rule, "")
        budget = limits.max_operations

        if compiler.ctx.needs_state:

            def evaluate(data: Any) -> Any:
                try:
                    return fn(data, [budget, data, None])
                except _UNEXPECTED as exc:
                    raise _failed(exc) from exc

        else:

            def evaluate(data: Any) -> Any:
                try:
                    return fn(data, _UNUSED_STATE)
                except _UNEXPECTED as exc:
                    raise _failed(exc) from exc

        self.evaluate = evaluate

    def evaluate_traced(self, data: Any) -> tuple[Any, list[TraceStep]]:
        """Evaluate and also return the decisions taken (for dry runs; slower than ``evaluate``)."""
        if self._traced is None:
            self._traced = _Compiler(self.limits, traced=True).compile(self.rule, "")
        trace: list[TraceStep] = []
        try:
            value = self._traced(data, [self.limits.max_operations, data, trace])
        except _UNEXPECTED as exc:
            raise _failed(exc) from exc
        return value, trace

    def __repr__(self) -> str:
        return f"CompiledRule({self.rule_hash[:12]})"


def compile_rule(rule: Any, *, limits: Limits = DEFAULT_LIMITS) -> CompiledRule:
    """Compile ``rule`` (cached by the sha256 of its canonical JSON).

    Raises RuleValidationError when the rule exceeds ``limits`` or uses unknown operators or wrong arity.
    """
    text = canonical_json(rule, limits)  # enforces depth/node limits before anything else
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    key = (digest, limits)
    compiled = _cache.get(key)
    if compiled is not None:
        return compiled
    problems = structural_problems(rule, limits)
    if problems:
        raise RuleValidationError(problems)
    compiled = CompiledRule(rule, digest, limits)
    with _cache_lock:
        existing = _cache.get(key)
        if existing is not None:
            return existing
        if len(_cache) >= _CACHE_SIZE:
            # Bounded FIFO: evicting the oldest entry is enough for a working set of live offer terms.
            _cache.pop(next(iter(_cache)), None)
        _cache[key] = compiled
    return compiled


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def apply(rule: Any, data: Any = None) -> Any:
    """Compile (cached) and evaluate in one call."""
    return compile_rule(rule).evaluate(data)


class _Compiler:
    def __init__(self, limits: Limits, *, traced: bool) -> None:
        self.limits = limits
        self.traced = traced
        self.ctx = builders.BuildContext(limits, traced)

    def compile(self, node: Any, pointer: str) -> Fn:
        if isinstance(node, list):
            items = [self.compile(item, f"{pointer}/{i}") for i, item in enumerate(node)]
            return builders.array(self.ctx, items)
        if isinstance(node, dict):
            if len(node) != 1:
                return builders.literal_object(self.ctx, node)  # JsonLogic returns these as data
            ((op, raw),) = node.items()
            op_pointer = f"{pointer}/{escape_token(op)}"
            factory = FACTORIES.get(op)
            if factory is None:  # structural_problems() refuses these before we get here
                raise RuleValidationError(
                    [RuleProblem(op_pointer, "unknown_operator", f"unknown operator {op!r}")]
                )
            if isinstance(raw, list):
                args = [self.compile(arg, f"{op_pointer}/{i}") for i, arg in enumerate(raw)]
                nodes = raw
            else:
                args = [self.compile(raw, op_pointer)]
                nodes = [raw]
            return factory(self.ctx, op, args, nodes, pointer)
        if isinstance(node, float):
            return builders.constant(self.ctx, Decimal(repr(node)))
        return builders.constant(self.ctx, node)
