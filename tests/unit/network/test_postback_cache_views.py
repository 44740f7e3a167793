"""The postback caches' views (network/conversions/cache.py), without a database."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator

import pytest

from network.conversions import cache


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    # Made-up engine epochs: leave no view behind for a real engine that may get the same number.
    cache.clear()
    yield
    cache.clear()


def test_a_view_is_reused_for_its_generation_and_replaced_by_a_newer_one() -> None:
    first = cache.view_for(1, 5)
    assert cache.view_for(1, 5) is first
    newer = cache.view_for(1, 6)
    assert newer is not first and cache.view_for(1, 6) is newer


def test_an_older_generation_gets_a_throwaway_view() -> None:
    """A postback that read the number just before a change committed must not fill the newer view."""
    newer = cache.view_for(1, 7)
    older = cache.view_for(1, 6)
    assert older is not newer
    assert cache.view_for(1, 7) is newer


def test_engines_have_views_of_their_own() -> None:
    assert cache.view_for(1, 3) is not cache.view_for(2, 3)
    assert cache.view_for(1, 3) is cache.view_for(1, 3)


def test_cached_keeps_hits_only_and_only_inside_a_view() -> None:
    calls: list[str] = []

    async def load(value: str | None) -> str | None:
        calls.append(str(value))
        return value

    async def scenario() -> None:
        assert await cache.cached("k", 1, lambda: load("a")) == "a"  # no view: always loaded
        with cache.using(cache.view_for(9, 1)):
            assert await cache.cached("k", 1, lambda: load("b")) == "b"
            assert await cache.cached("k", 1, lambda: load("c")) == "b"
            assert await cache.cached("k", 2, lambda: load(None)) is None
            assert await cache.cached("k", 2, lambda: load(None)) is None
        with cache.using(cache.view_for(9, 2)):
            assert await cache.cached("k", 1, lambda: load("d")) == "d"

    asyncio.run(scenario())
    assert calls == ["a", "b", "None", "None", "d"]


def test_each_kind_is_bounded() -> None:
    async def value(i: int) -> int:
        return i

    async def scenario() -> None:
        with cache.using(cache.view_for(11, 1)):
            for i in range(cache.MAX_ENTRIES + 5):
                await cache.cached("offer", i, functools.partial(value, i))

    asyncio.run(scenario())
    view = cache.view_for(11, 1)
    assert len(view.kinds["offer"]) == cache.MAX_ENTRIES
    assert 0 not in view.kinds["offer"] and cache.MAX_ENTRIES + 4 in view.kinds["offer"]
