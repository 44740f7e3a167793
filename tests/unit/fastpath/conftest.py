"""Every fastpath test runs against both engines: the compiled one (skipped when not built or when
FASTPATH_NO_EXTENSIONS=1) and the pure-Python twin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import fastpath
from fastpath import LandingSpec, OfferSpec, Snapshot, SnapshotSpec, build_snapshot

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a Thursday
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)

EngineFactory = Callable[..., Any]


def _implementations() -> list[Any]:
    c_ready = fastpath.engine_c is not None and not fastpath.NO_EXTENSIONS
    return [
        pytest.param(
            "c", marks=pytest.mark.skipif(not c_ready, reason="compiled engine disabled or not built")
        ),
        pytest.param("py"),
    ]


@pytest.fixture(params=_implementations())
def impl(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine_cls(impl: str) -> Any:
    module = fastpath.engine_c if impl == "c" else fastpath.engine_py
    assert module is not None
    return module.Engine


@pytest.fixture
def make_engine(engine_cls: Any) -> EngineFactory:
    def factory(spec: SnapshotSpec | Snapshot, seed: int = 0) -> Any:
        snapshot = spec if isinstance(spec, Snapshot) else build_snapshot(spec)
        return engine_cls(snapshot, seed=seed)

    return factory


def offer(offer_id: int = 1, template: str = "https://shop.example/lp?c={click_id}", **kw: Any) -> OfferSpec:
    hosts = kw.pop("hosts", frozenset({"shop.example"}))
    landings = kw.pop("landings", (LandingSpec(offer_id * 10, template, hosts),))
    return OfferSpec(offer_id, landings, landings[0].id, **{"public": True, **kw})


def spec(*offers: OfferSpec, **kw: Any) -> SnapshotSpec:
    kw.setdefault("trafficback_url", "https://tb.example/?o={offer_id}&c={click_id}")
    kw.setdefault("datacenter_ranges", ())
    return SnapshotSpec(network_id=1, offers=offers, **kw)
