"""Bot and crawler user-agent detection: a literal-trigram prefilter in front of the list's regexes.

Every pattern of the list is parsed once; its longest literal run that must occur in a match becomes its key.
A user agent is split into trigrams, only patterns whose key starts with one of them are tried (first with
``key in ua``, then the regex). Patterns without a usable literal go into one combined regex. A miss thus
costs one pass over the trigrams instead of ~1,500 regex searches. Matching is case-sensitive, as the list
is written (its patterns spell out case variants such as ``[wW]get``).
"""

from __future__ import annotations

import importlib
import re
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

_sre: Any = importlib.import_module("re._parser")
_LITERAL = _sre.LITERAL
_MIN_KEY = 3


def required_literal(pattern: str) -> str:
    """The longest literal run at the top level of ``pattern``; '' when there is no safe one."""
    try:
        parsed = _sre.parse(pattern)
    except re.error:
        return ""
    if parsed.state.flags & re.IGNORECASE:
        return ""
    best, run = "", []
    for op, arg in parsed:
        if op is _LITERAL:
            run.append(chr(arg))
            continue
        if len(run) > len(best):
            best = "".join(run)
        run = []
    if len(run) > len(best):
        best = "".join(run)
    return best


class BotMatcher:
    """Immutable compiled matcher; ``is_bot`` is a pure function of the user agent."""

    __slots__ = ("_index", "_rest", "pattern_count")

    def __init__(self, patterns: Iterable[str]) -> None:
        index: dict[str, list[tuple[str, re.Pattern[str] | None]]] = {}
        rest: list[str] = []
        count = 0
        for pattern in patterns:
            count += 1
            key = required_literal(pattern)
            if len(key) < _MIN_KEY:
                rest.append(pattern)
                continue
            is_plain = re.escape(key) == pattern or key == pattern
            index.setdefault(key[:_MIN_KEY], []).append((key, None if is_plain else re.compile(pattern)))
        self._index: dict[str, tuple[tuple[str, re.Pattern[str] | None], ...]] = {
            k: tuple(v) for k, v in index.items()
        }
        self._rest = re.compile("|".join(f"(?:{p})" for p in rest)) if rest else None
        self.pattern_count = count

    def is_bot(self, user_agent: str) -> bool:
        index = self._index
        for i in range(len(user_agent) - _MIN_KEY + 1):
            candidates = index.get(user_agent[i : i + _MIN_KEY])
            if candidates is None:
                continue
            for key, regex in candidates:
                if user_agent.startswith(key, i) and (regex is None or regex.search(user_agent)):
                    return True
        return self._rest is not None and self._rest.search(user_agent) is not None


class UaCache:
    """Bounded LRU of verdicts per user agent, in front of a ``BotMatcher``."""

    __slots__ = ("_entries", "_matcher", "capacity")

    def __init__(self, matcher: BotMatcher, capacity: int) -> None:
        self._matcher = matcher
        self._entries: OrderedDict[str, bool] = OrderedDict()
        self.capacity = capacity

    def is_bot(self, user_agent: str) -> bool:
        entries = self._entries
        verdict = entries.get(user_agent)
        if verdict is not None:
            entries.move_to_end(user_agent)
            return verdict
        verdict = self._matcher.is_bot(user_agent)
        entries[user_agent] = verdict
        if len(entries) > self.capacity:
            entries.popitem(last=False)
        return verdict

    def __len__(self) -> int:
        return len(self._entries)
