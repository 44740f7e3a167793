"""Size and cost limits applied at save time, at compile time and during evaluation."""

from __future__ import annotations

from dataclasses import dataclass

# The compiler recurses once per nesting level; this ceiling keeps it far below Python's recursion limit
# whatever limits a caller passes.
HARD_MAX_DEPTH = 200


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 64
    max_nodes: int = 5_000
    # Evaluation budget: one unit per node evaluated inside map/filter/reduce/all/none/some and per element
    # produced by merge. Rules without iteration touch each node at most once, so they cannot exceed it.
    max_operations: int = 100_000
    max_string_length: int = 65_536
    max_array_length: int = 100_000

    def __post_init__(self) -> None:
        if not 1 <= self.max_depth <= HARD_MAX_DEPTH:
            raise ValueError(f"max_depth must be within 1..{HARD_MAX_DEPTH}")
        if min(self.max_nodes, self.max_operations, self.max_string_length, self.max_array_length) < 1:
            raise ValueError("limits must be positive")


DEFAULT_LIMITS = Limits()
