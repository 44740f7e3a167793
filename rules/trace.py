"""Trace of a dry-run evaluation: which branches fired and where boolean operators stopped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One decision taken during evaluation.

    ``pointer`` is the JSON pointer of the deciding node. For ``if`` and ``?:``, ``branch`` is the index
    (within the operator's arguments) of the value that was returned, or ``None`` when no condition matched
    and there was no else-branch. For ``and`` / ``or``, ``branch`` is the index of the argument whose value
    was returned and ``short_circuit`` tells whether later arguments were skipped.
    """

    pointer: str
    op: str
    branch: int | None
    short_circuit: bool = False

    def prefixed(self, prefix: str) -> TraceStep:
        return TraceStep(prefix + self.pointer, self.op, self.branch, self.short_circuit)

    def describe(self) -> str:
        where = self.pointer or "(root)"
        if self.op in ("and", "or"):
            stop = "short-circuited" if self.short_circuit else "evaluated every argument"
            return f"{where}: {self.op} returned argument {self.branch} ({stop})"
        if self.branch is None:
            return f"{where}: {self.op} matched no branch (null)"
        return f"{where}: {self.op} took argument {self.branch}"
