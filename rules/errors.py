"""Error hierarchy of the rules engine.

Every failure the engine reports is one of these, so callers (network/ services) can map them to problem
details without catching bare exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One thing wrong with a rule, found at save time.

    ``pointer`` is an RFC 6901 JSON pointer to the offending node, ``code`` a stable snake_case key the UI
    can translate, ``message`` a sentence an advertiser can act on.
    """

    pointer: str
    code: str
    message: str

    def prefixed(self, prefix: str) -> RuleProblem:
        return RuleProblem(prefix + self.pointer, self.code, self.message)


class RuleError(Exception):
    """Base of every error raised by rules/."""


class RuleValidationError(RuleError, ValueError):
    """A rule was refused before compilation; ``problems`` lists every reason found."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        first = problems[0] if problems else RuleProblem("", "invalid_rule", "invalid rule")
        extra = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first.message} at '{first.pointer}'{extra}")


class RuleEvaluationError(RuleError):
    """Evaluation failed; ``pointer`` names the node, ``code`` the kind of failure."""

    def __init__(self, code: str, message: str, pointer: str = "") -> None:
        self.code = code
        self.message = message
        self.pointer = pointer
        super().__init__(f"{message} at '{pointer}'")

    def prefixed(self, prefix: str) -> RuleEvaluationError:
        """The same error with its pointer moved under ``prefix`` (keeps the concrete class)."""
        return type(self)(self.code, self.message, prefix + self.pointer)


class RuleLimitError(RuleEvaluationError):
    """The operation budget or a size limit was exhausted during evaluation."""


class CoercionError(Exception):
    """Internal: a value could not be turned into a number; closures re-raise it with their pointer."""


def escape_token(token: str) -> str:
    """RFC 6901 escaping: '~' then '/' (order matters, or '/' would turn into '~01')."""
    return token.replace("~", "~0").replace("/", "~1")
