"""Closure factories for control flow, data access and iteration; value operators live in builders_ops.

A factory gets the compiled arguments (closures), the raw argument nodes (for constant detection and cost
estimates) and the node's JSON pointer, and returns one closure. Specialised closures for the common
arities avoid loops and argument lists on the hot path.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

from rules.coercion import js_str, truthy
from rules.errors import CoercionError, RuleEvaluationError, RuleLimitError
from rules.functions import MISSING, get_path, missing, missing_some, split_path
from rules.limits import Limits
from rules.trace import TraceStep

Fn = Callable[[Any, list[Any]], Any]
Factory = Callable[["BuildContext", str, list[Fn], list[Any], str], Fn]

logger = logging.getLogger("rules.log")


class BuildContext:
    """Per-compilation facts: which closures are constants and which always return a bool."""

    def __init__(self, limits: Limits, traced: bool) -> None:
        self.limits = limits
        self.traced = traced
        self.constants: dict[Fn, Any] = {}
        self.booleans: set[Fn] = set()
        # Whether any closure reads or writes the per-evaluation state (budget, root data); rules that
        # never do can share one dummy state instead of allocating a list per evaluation.
        self.needs_state = traced

    def is_constant(self, fn: Fn) -> bool:
        return fn in self.constants


def constant(ctx: BuildContext, value: Any) -> Fn:
    def const(_d: Any, _st: list[Any]) -> Any:
        return value

    ctx.constants[const] = value
    if value is True or value is False:
        ctx.booleans.add(const)
    return const


def literal_object(ctx: BuildContext, value: dict[str, Any]) -> Fn:
    def object_copy(_d: Any, _st: list[Any]) -> Any:
        return copy.deepcopy(value)  # depth is bounded by Limits; callers may mutate what they get

    ctx.constants[object_copy] = value
    return object_copy


def array(ctx: BuildContext, items: list[Fn]) -> Fn:
    if all(ctx.is_constant(item) for item in items):
        values = [ctx.constants[item] for item in items]

        # A fresh list per evaluation: callers may mutate results, the compiled rule must not change.
        def const_list(_d: Any, _st: list[Any]) -> Any:
            return list(values)

        ctx.constants[const_list] = values
        return const_list

    def dynamic_list(d: Any, st: list[Any]) -> Any:
        return [item(d, st) for item in items]

    return dynamic_list


def count_nodes(node: Any) -> int:
    total, stack = 0, [node]
    while stack:
        current = stack.pop()
        total += 1
        if isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return total


def charge(st: list[Any], units: int, pointer: str) -> None:
    st[0] -= units
    if st[0] < 0:
        raise RuleLimitError("operation_budget", "the rule used up its evaluation budget", pointer)


# --- control flow -------------------------------------------------------------------------------------


def _cond(ctx: BuildContext, fn: Fn) -> Fn:
    """A condition closure returning a real bool (skips truthy() when the operator already does)."""
    if fn in ctx.booleans:
        return fn

    def as_bool(d: Any, st: list[Any]) -> bool:
        return truthy(fn(d, st))

    return as_bool


def if_(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    if ctx.traced:
        return _if_traced(ctx, op, args, pointer)
    if not args:
        return constant(ctx, None)
    if len(args) == 1:
        return args[0]
    if len(args) == 2:
        cond2, then2 = _cond(ctx, args[0]), args[1]

        def if2(d: Any, st: list[Any]) -> Any:
            return then2(d, st) if cond2(d, st) else None

        return if2
    if len(args) == 3:
        cond, then, other = _cond(ctx, args[0]), args[1], args[2]

        def if3(d: Any, st: list[Any]) -> Any:
            return then(d, st) if cond(d, st) else other(d, st)

        return if3
    pairs = [(_cond(ctx, args[i]), args[i + 1]) for i in range(0, len(args) - 1, 2)]
    fallback = args[-1] if len(args) % 2 else None

    def if_chain(d: Any, st: list[Any]) -> Any:
        for cond_fn, value_fn in pairs:
            if cond_fn(d, st):
                return value_fn(d, st)
        return fallback(d, st) if fallback is not None else None

    return if_chain


def _if_traced(ctx: BuildContext, op: str, args: list[Fn], pointer: str) -> Fn:
    conds = [_cond(ctx, args[i]) for i in range(0, len(args) - 1, 2)]

    def if_traced(d: Any, st: list[Any]) -> Any:
        for n, cond_fn in enumerate(conds):
            if cond_fn(d, st):
                st[2].append(TraceStep(pointer, op, 2 * n + 1))
                return args[2 * n + 1](d, st)
        if len(args) % 2:
            st[2].append(TraceStep(pointer, op, len(args) - 1))
            return args[-1](d, st)
        st[2].append(TraceStep(pointer, op, None))
        return None

    return if_traced


def and_or(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    stop_on = op == "or"  # 'or' stops at the first truthy value, 'and' at the first falsy one
    last = len(args) - 1
    if ctx.traced:

        def traced(d: Any, st: list[Any]) -> Any:
            value = None
            for index, fn in enumerate(args):
                value = fn(d, st)
                if truthy(value) is stop_on:
                    st[2].append(TraceStep(pointer, op, index, index < last))
                    return value
            st[2].append(TraceStep(pointer, op, last, False))
            return value

        return traced
    if len(args) == 2:
        first, second = args
        if op == "and":

            def and2(d: Any, st: list[Any]) -> Any:
                value = first(d, st)
                return second(d, st) if truthy(value) else value

            fn2 = and2
        else:

            def or2(d: Any, st: list[Any]) -> Any:
                value = first(d, st)
                return value if truthy(value) else second(d, st)

            fn2 = or2
        if first in ctx.booleans and second in ctx.booleans:
            ctx.booleans.add(fn2)
        return fn2

    def chain(d: Any, st: list[Any]) -> Any:
        value = None
        for fn in args:
            value = fn(d, st)
            if truthy(value) is stop_on:
                return value
        return value

    return chain


# --- data access --------------------------------------------------------------------------------------


def var(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    default = args[1] if len(args) > 1 else None
    if not args or (ctx.is_constant(args[0]) and ctx.constants[args[0]] in (None, "", [])):

        def whole(d: Any, _st: list[Any]) -> Any:
            return d

        return whole
    if not ctx.is_constant(args[0]):
        path_fn = args[0]

        def dynamic(d: Any, st: list[Any]) -> Any:
            keys = split_path(path_fn(d, st))
            found = get_path(d, keys, MISSING)
            return found if found is not MISSING else (default(d, st) if default is not None else None)

        return dynamic
    keys = split_path(ctx.constants[args[0]])

    def slow(d: Any, st: list[Any]) -> Any:
        found = get_path(d, keys, MISSING)
        return found if found is not MISSING else (default(d, st) if default is not None else None)

    if len(keys) == 1:
        (k0,) = keys

        def var1(d: Any, st: list[Any]) -> Any:
            try:
                return d[k0]
            except (KeyError, TypeError, IndexError):
                return slow(d, st)

        return var1
    if len(keys) == 2:
        k1, k2 = keys

        def var2(d: Any, st: list[Any]) -> Any:
            try:
                return d[k1][k2]
            except (KeyError, TypeError, IndexError):
                return slow(d, st)

        return var2
    return slow


def missing_(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    def missing_fn(d: Any, st: list[Any]) -> Any:
        return missing(d, [fn(d, st) for fn in args])

    return missing_fn


def missing_some_(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    need, options = args

    def missing_some_fn(d: Any, st: list[Any]) -> Any:
        required, wanted = need(d, st), options(d, st)
        try:
            return missing_some(d, required, wanted)
        except CoercionError as exc:
            raise RuleEvaluationError("not_a_number", f"missing_some: {exc}", pointer) from None

    return missing_some_fn


def log(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    (arg,) = args

    def log_fn(d: Any, st: list[Any]) -> Any:
        value = arg(d, st)
        logger.info("rule log at %s: %s", pointer or "/", js_str(value))
        return value

    return log_fn


# --- iteration ----------------------------------------------------------------------------------------


def iterate(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    source, body = args[0], args[1]
    ctx.needs_state = True
    cost = count_nodes(nodes[1])  # budget units per element
    body_bool = _cond(ctx, body)

    def items_of(d: Any, st: list[Any]) -> list[Any]:
        items = source(d, st)
        if not isinstance(items, list):
            return []
        charge(st, len(items) * cost, pointer)
        return items

    if op == "map":

        def map_fn(d: Any, st: list[Any]) -> Any:
            return [body(item, st) for item in items_of(d, st)]

        return map_fn
    if op == "filter":

        def filter_fn(d: Any, st: list[Any]) -> Any:
            return [item for item in items_of(d, st) if body_bool(item, st)]

        return filter_fn
    if op == "all":

        def all_fn(d: Any, st: list[Any]) -> bool:
            items = items_of(d, st)
            return bool(items) and all(body_bool(item, st) for item in items)

        result: Fn = all_fn
    elif op == "some":

        def some_fn(d: Any, st: list[Any]) -> bool:
            return any(body_bool(item, st) for item in items_of(d, st))

        result = some_fn
    elif op == "none":

        def none_fn(d: Any, st: list[Any]) -> bool:
            return not any(body_bool(item, st) for item in items_of(d, st))

        result = none_fn
    else:
        return _reduce(args, items_of)
    ctx.booleans.add(result)
    return result


def _reduce(args: list[Fn], items_of: Callable[[Any, list[Any]], list[Any]]) -> Fn:
    body = args[1]
    initial = args[2] if len(args) > 2 else None

    def reduce_fn(d: Any, st: list[Any]) -> Any:
        accumulator = initial(d, st) if initial is not None else None
        for item in items_of(d, st):
            accumulator = body({"current": item, "accumulator": accumulator}, st)
        return accumulator

    return reduce_fn


FACTORIES: dict[str, Factory] = {
    "if": if_,
    "?:": if_,
    "and": and_or,
    "or": and_or,
    "var": var,
    "missing": missing_,
    "missing_some": missing_some_,
    "log": log,
    **dict.fromkeys(("map", "filter", "reduce", "all", "none", "some"), iterate),
}
