"""Closure factories for value operators: comparison, arithmetic, strings, arrays and domain operators.

Operators whose arguments are all constants are folded at compile time (a failing fold is left to fail at
run time, with its pointer). Errors from the value functions are re-raised as RuleEvaluationError carrying
the node's pointer.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn

from rules import domain
from rules import functions as f
from rules.builders import BuildContext, Factory, Fn, constant
from rules.coercion import CTX, compare, loose_equals, parse_float, strict_equals, truthy
from rules.errors import CoercionError, RuleEvaluationError, RuleLimitError

_ERRORS = (CoercionError, ArithmeticError, TypeError, ValueError, RuleEvaluationError)


def _fail(exc: Exception, op: str, pointer: str) -> NoReturn:
    if isinstance(exc, RuleEvaluationError):
        raise exc.prefixed(pointer) from None
    if isinstance(exc, CoercionError):
        raise RuleEvaluationError("not_a_number", f"{op}: {exc}", pointer) from None
    if isinstance(exc, ZeroDivisionError):
        raise RuleEvaluationError("division_by_zero", f"{op}: division by zero", pointer) from None
    raise RuleEvaluationError("invalid_argument", f"{op}: {exc}", pointer) from None


def _values_op(
    ctx: BuildContext,
    op: str,
    args: list[Fn],
    pointer: str,
    func: Callable[..., Any],
    *,
    spread: bool = True,
    boolean: bool = False,
    foldable: bool = True,
) -> Fn:
    """Closure evaluating every argument then calling ``func(*values)`` (or ``func(values)``)."""
    if spread and len(args) == 1:
        (a,) = args

        def op1(d: Any, st: list[Any]) -> Any:
            value = a(d, st)
            try:
                return func(value)
            except _ERRORS as exc:
                _fail(exc, op, pointer)

        fn: Fn = op1
    elif spread and len(args) == 2:
        a, b = args

        def op2(d: Any, st: list[Any]) -> Any:
            x, y = a(d, st), b(d, st)
            try:
                return func(x, y)
            except _ERRORS as exc:
                _fail(exc, op, pointer)

        fn = op2
    else:

        def opn(d: Any, st: list[Any]) -> Any:
            values = [arg(d, st) for arg in args]
            try:
                return func(*values) if spread else func(values)
            except _ERRORS as exc:
                _fail(exc, op, pointer)

        fn = opn
    if foldable and all(ctx.is_constant(arg) for arg in args):
        try:
            return constant(ctx, fn(None, [0, None, None]))
        except RuleEvaluationError:
            pass  # not foldable: let it fail at evaluation time with its pointer
    if boolean:
        ctx.booleans.add(fn)
    return fn


# --- comparison and equality ---------------------------------------------------------------------------

_OPERATOR: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_RELATIONS: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def _relation(op: str) -> Callable[[Any, Any], bool]:
    holds = _RELATIONS[op]

    numeric = _OPERATOR[op]

    def relation(a: Any, b: Any) -> bool:
        ca, cb = a.__class__, b.__class__
        if (ca is int or ca is Decimal) and (cb is int or cb is Decimal):
            return numeric(a, b)
        outcome = compare(a, b)
        return outcome is not None and holds(outcome)

    return relation


def relational(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    relation = _relation(op)
    if len(args) == 3:  # "between": a < b < c, every argument evaluated as in JS

        def between(a: Any, b: Any, c: Any) -> bool:
            return relation(a, b) and relation(b, c)

        return _values_op(ctx, op, args, pointer, between, boolean=True)
    left, right = args
    if ctx.is_constant(right) and ctx.constants[right].__class__ in (int, Decimal):
        # {"<": [{"var": ...}, 100]}: the dominant shape in terms rules, kept to one comparison.
        bound = ctx.constants[right]
        decimal_bound = Decimal(bound)  # compared with Decimal values without a per-call conversion
        fast = _OPERATOR[op]

        def versus_constant(d: Any, st: list[Any]) -> bool:
            value = left(d, st)
            cls = value.__class__
            if cls is Decimal:
                return fast(value, decimal_bound)
            if cls is int:
                return fast(value, bound)
            return relation(value, bound)

        ctx.booleans.add(versus_constant)
        return versus_constant
    return _values_op(ctx, op, args, pointer, relation, boolean=True)


def equality(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    base = strict_equals if op in ("===", "!==") else loose_equals
    func = base if op in ("==", "===") else (lambda a, b: not base(a, b))
    left, right = args
    if ctx.is_constant(left) and not ctx.is_constant(right):
        left, right = right, left  # both equalities are symmetric
    value = ctx.constants.get(right) if ctx.is_constant(right) and not ctx.is_constant(left) else None
    if value.__class__ in (str, int, Decimal):
        # {"==": [{"var": "goal"}, "sale"]}: same class compares directly, anything else takes the JS path.
        same_class, positive = value.__class__, op in ("==", "===")

        def versus_constant(d: Any, st: list[Any]) -> bool:
            found = left(d, st)
            if found.__class__ is same_class:
                return (found == value) is positive
            return func(found, value)

        ctx.booleans.add(versus_constant)
        return versus_constant
    return _values_op(ctx, op, args, pointer, func, boolean=True)


def negation(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    func: Callable[[Any], bool] = (lambda v: not truthy(v)) if op == "!" else truthy
    return _values_op(ctx, op, args, pointer, func, boolean=True)


# --- arithmetic -----------------------------------------------------------------------------------------


def _fold(step: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def folded(first: Any, *rest: Any) -> Any:
        total = first
        for value in rest:
            total = step(total, value)
        return total

    return folded


def _numeric2(
    ctx: BuildContext,
    op: str,
    args: list[Fn],
    pointer: str,
    fast: Callable[[Any, Any], Any],
    slow: Callable[[Any, Any], Any],
) -> Fn:
    """Two-argument arithmetic whose hot path (a Decimal involved) skips coercion and int bounding.

    ``fast`` must be exact for Decimal/int operands (the CTX methods are); int with int goes to ``slow``,
    which keeps ints as ints.
    """
    if all(ctx.is_constant(arg) for arg in args):
        return _values_op(ctx, op, args, pointer, slow)
    left, right = args
    if ctx.is_constant(right) and ctx.constants[right].__class__ in (int, Decimal):
        bound = ctx.constants[right]
        bound_is_decimal = bound.__class__ is Decimal
        # Decimal with Decimal skips the int conversion CPython's decimal does on every mixed operation.
        decimal_bound = Decimal(bound)

        def versus_constant(d: Any, st: list[Any]) -> Any:
            value = left(d, st)
            try:
                if value.__class__ is Decimal:
                    return fast(value, decimal_bound)
                if bound_is_decimal and value.__class__ is int:
                    return fast(value, bound)
                return slow(value, bound)
            except _ERRORS as exc:
                _fail(exc, op, pointer)

        return versus_constant

    def both(d: Any, st: list[Any]) -> Any:
        x, y = left(d, st), right(d, st)
        cx, cy = x.__class__, y.__class__
        try:
            if (cx is Decimal and (cy is Decimal or cy is int)) or (cy is Decimal and cx is int):
                return fast(x, y)
            return slow(x, y)
        except _ERRORS as exc:
            _fail(exc, op, pointer)

    return both


def plus(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    if not args:
        return constant(ctx, 0)
    if len(args) == 1:  # unary plus casts: {"+": "3.5"} is 3.5
        return _values_op(ctx, op, args, pointer, parse_float)
    if len(args) == 2:
        return _numeric2(ctx, op, args, pointer, CTX.add, f.add)
    return _values_op(ctx, op, args, pointer, _fold(f.add))


def times(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    if len(args) == 1:
        return _values_op(ctx, op, args, pointer, parse_float)
    if len(args) == 2:
        return _numeric2(ctx, op, args, pointer, CTX.multiply, f.multiply)
    return _values_op(ctx, op, args, pointer, _fold(f.multiply))


def minus(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    if len(args) == 2:
        return _numeric2(ctx, op, args, pointer, CTX.subtract, f.subtract)
    return _values_op(ctx, op, args, pointer, f.negate)


def _binary(func: Callable[[Any, Any], Any]) -> Factory:
    def factory(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
        return _values_op(ctx, op, args, pointer, func)

    return factory


def _smaller(x: Any, y: Any) -> Any:
    return x if x <= y else y


def _larger(x: Any, y: Any) -> Any:
    return x if x >= y else y


def extremum(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    if len(args) == 2:
        fast = _larger if op == "max" else _smaller
        slow = f.maximum if op == "max" else f.minimum
        return _numeric2(ctx, op, args, pointer, fast, lambda x, y: slow([x, y]))
    return _values_op(ctx, op, args, pointer, f.maximum if op == "max" else f.minimum, spread=False)


# --- strings and arrays ---------------------------------------------------------------------------------


def cat(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    limit = ctx.limits.max_string_length
    return _values_op(ctx, op, args, pointer, lambda values: f.cat(values, limit), spread=False)


def substr(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    return _values_op(ctx, op, args, pointer, f.substr)


def merge(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    limit = ctx.limits.max_array_length
    ctx.needs_state = True

    def merged(d: Any, st: list[Any]) -> Any:
        values = [arg(d, st) for arg in args]
        try:
            out = f.merge(values, limit)
        except RuleEvaluationError as exc:
            _fail(exc, op, pointer)
        st[0] -= len(out)  # charged like iteration: merge inside reduce can double an array per step
        if st[0] < 0:
            _fail(RuleLimitError("operation_budget", "the rule used up its evaluation budget"), op, pointer)
        return out

    return merged


def in_(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    needle, haystack = args
    values = ctx.constants.get(haystack) if ctx.is_constant(haystack) else None
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        # {"in": [{"var": "click.country"}, ["US", "GB", ...]]}: a set lookup instead of a scan.
        members = frozenset(values)

        def in_strings(d: Any, st: list[Any]) -> bool:
            value = needle(d, st)
            return value.__class__ is str and value in members

        ctx.booleans.add(in_strings)
        return in_strings
    if ctx.is_constant(needle) and ctx.constants[needle].__class__ is str and not ctx.is_constant(haystack):
        # {"in": ["vip", {"var": "webmaster.groups"}]}: list membership by == is === for a string needle.
        text = ctx.constants[needle]

        def string_in(d: Any, st: list[Any]) -> bool:
            container = haystack(d, st)
            if container.__class__ is list or container.__class__ is str:
                return text in container
            return False

        ctx.booleans.add(string_in)
        return string_in
    return _values_op(ctx, op, args, pointer, f.contains, boolean=True)


# --- domain operators -----------------------------------------------------------------------------------


def clock(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    func = domain.hour if op == "hour" else domain.weekday
    if len(args) == 2:
        return _values_op(ctx, op, args, pointer, func)
    (moment,) = args
    ctx.needs_state = True

    def network_clock(d: Any, st: list[Any]) -> Any:
        value = moment(d, st)
        try:
            return func(value, f.get_path(st[1], ("network", "timezone")))
        except _ERRORS as exc:
            _fail(exc, op, pointer)

    return network_clock


def in_group(ctx: BuildContext, op: str, args: list[Fn], nodes: list[Any], pointer: str) -> Fn:
    (group,) = args
    ctx.needs_state = True

    def in_group_fn(d: Any, st: list[Any]) -> bool:
        return domain.in_group(group(d, st), f.get_path(st[1], ("webmaster", "groups")))

    ctx.booleans.add(in_group_fn)
    return in_group_fn


FACTORIES: dict[str, Factory] = {
    **dict.fromkeys(("<", "<=", ">", ">="), relational),
    **dict.fromkeys(("==", "===", "!=", "!=="), equality),
    "!": negation,
    "!!": negation,
    "+": plus,
    "*": times,
    "-": minus,
    "/": _binary(f.divide),
    "%": _binary(f.modulo),
    "max": extremum,
    "min": extremum,
    "cat": cat,
    "substr": substr,
    "merge": merge,
    "in": in_,
    "hour": clock,
    "weekday": clock,
    "round_money": _binary(domain.round_money),
    "percent": _binary(domain.percent),
    "in_group": in_group,
}
