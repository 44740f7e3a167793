"""The selector exports the compiled engine unless FASTPATH_NO_EXTENSIONS=1; both expose the same API."""

from __future__ import annotations

import inspect
import os

import pytest

import fastpath

PUBLIC = {
    "decide",
    "decide_batch",
    "decide_many",
    "check_fraud",
    "reserve_click",
    "release_click",
    "reserve_conversion",
    "release_conversion",
    "click_usage",
    "conversion_usage",
    "swap_snapshot",
    "state_stats",
    "snapshot",
}


def test_compiled_engine_really_loaded(impl: str) -> None:
    if os.environ.get("FASTPATH_NO_EXTENSIONS") == "1":
        assert fastpath.IMPLEMENTATION == "py"
        assert fastpath.Engine is fastpath.engine_py.Engine
    else:
        assert fastpath.engine_c is not None, "build it: python setup.py build_ext --inplace"
        assert fastpath.IMPLEMENTATION == "c"
        assert fastpath.Engine is fastpath.engine_c.Engine


def test_both_engines_expose_the_same_api(engine_cls: type) -> None:
    names = {n for n in dir(engine_cls) if not n.startswith("_")}
    assert names == PUBLIC


@pytest.mark.parametrize("name", sorted(PUBLIC - {"snapshot"}))
def test_methods_are_callable(engine_cls: type, name: str) -> None:
    assert callable(getattr(engine_cls, name))
    assert inspect.getattr_static(engine_cls, "snapshot") is not None
