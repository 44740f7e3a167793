"""docs/rules.md stays in step with the code: every context variable and operator is documented."""

from __future__ import annotations

from pathlib import Path

from rules import TERMS_CONTEXT
from rules.operators import OPERATORS

DOC = (Path(__file__).resolve().parents[3] / "docs" / "rules.md").read_text(encoding="utf-8")


def test_every_context_variable_is_documented_with_its_type() -> None:
    for spec in TERMS_CONTEXT.variables.values():
        assert f"| `{spec.path}` | {spec.type.value} |" in DOC, spec.path


def test_every_operator_is_documented() -> None:
    for name in OPERATORS:
        assert f"`{name}`" in DOC, name
