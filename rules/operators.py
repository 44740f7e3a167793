"""The operator catalogue: arity and static result category of every operator the engine accepts.

Validation, static type inference and the compiler all read this one table, so an operator cannot be
known to one of them and unknown to another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    """What static inference can say about a value."""

    NUMBER = "number"
    BOOLEAN = "boolean"
    STRING = "string"
    ARRAY = "array"
    OBJECT = "object"
    NULL = "null"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class OpSpec:
    name: str
    min_args: int
    max_args: int | None
    result: Category
    # Iteration operators evaluate their second argument with each element as data.
    iterates: bool = False


_N, _B, _S, _A, _X = Category.NUMBER, Category.BOOLEAN, Category.STRING, Category.ARRAY, Category.ANY

OPERATORS: dict[str, OpSpec] = {
    spec.name: spec
    for spec in (
        OpSpec("var", 0, 2, _X),
        OpSpec("missing", 0, None, _A),
        OpSpec("missing_some", 2, 2, _A),
        OpSpec("if", 0, None, _X),
        OpSpec("?:", 3, 3, _X),
        OpSpec("==", 2, 2, _B),
        OpSpec("===", 2, 2, _B),
        OpSpec("!=", 2, 2, _B),
        OpSpec("!==", 2, 2, _B),
        OpSpec("!", 1, 1, _B),
        OpSpec("!!", 1, 1, _B),
        OpSpec("or", 1, None, _X),
        OpSpec("and", 1, None, _X),
        OpSpec("<", 2, 3, _B),
        OpSpec("<=", 2, 3, _B),
        OpSpec(">", 2, 2, _B),
        OpSpec(">=", 2, 2, _B),
        OpSpec("max", 1, None, _N),
        OpSpec("min", 1, None, _N),
        OpSpec("+", 0, None, _N),
        OpSpec("-", 1, 2, _N),
        OpSpec("*", 1, None, _N),
        OpSpec("/", 2, 2, _N),
        OpSpec("%", 2, 2, _N),
        OpSpec("map", 2, 2, _A, iterates=True),
        OpSpec("filter", 2, 2, _A, iterates=True),
        OpSpec("reduce", 2, 3, _X, iterates=True),
        OpSpec("all", 2, 2, _B, iterates=True),
        OpSpec("none", 2, 2, _B, iterates=True),
        OpSpec("some", 2, 2, _B, iterates=True),
        OpSpec("merge", 0, None, _A),
        OpSpec("in", 2, 2, _B),
        OpSpec("cat", 0, None, _S),
        OpSpec("substr", 2, 3, _S),
        OpSpec("log", 1, 1, _X),
        # Domain operators for offer terms (docs/rules.md).
        OpSpec("hour", 1, 2, _N),
        OpSpec("weekday", 1, 2, _N),
        OpSpec("round_money", 2, 2, _N),
        OpSpec("percent", 2, 2, _N),
        OpSpec("in_group", 1, 1, _B),
    )
}
