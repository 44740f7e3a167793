"""fastpath: the click matcher and fraud filter of cpanet, compiled (Cython) with a pure-Python twin.

``Engine`` is the compiled implementation unless ``FASTPATH_NO_EXTENSIONS=1`` is set or the extension is not
built; ``IMPLEMENTATION`` says which one ("c" or "py"). Both modules are importable for tests:
``fastpath.engine_py`` and ``fastpath.engine_c`` (None when not built).
"""

from __future__ import annotations

import os
from types import ModuleType

from fastpath import _engine_py as engine_py
from fastpath.reasons import SCORE_WEIGHTS, FraudFlag, Reason
from fastpath.results import NONE_ID, CapUsage, Click, Decision, FraudVerdict
from fastpath.snapshot import Snapshot, build_snapshot
from fastpath.spec import (
    CapSpec,
    FraudSettings,
    LandingSpec,
    ListsSpec,
    OfferSpec,
    ScheduleSpec,
    SnapshotSpec,
    TargetingSpec,
    TermsPin,
)

engine_c: ModuleType | None
try:
    from fastpath import _engine_c as engine_c
except ImportError:  # not built: the pure-Python twin serves
    engine_c = None

NO_EXTENSIONS = os.environ.get("FASTPATH_NO_EXTENSIONS") == "1"

if engine_c is not None and not NO_EXTENSIONS:
    Engine = engine_c.Engine
    IMPLEMENTATION = "c"
else:
    Engine = engine_py.Engine
    IMPLEMENTATION = "py"

__all__ = [
    "IMPLEMENTATION",
    "NONE_ID",
    "NO_EXTENSIONS",
    "SCORE_WEIGHTS",
    "CapSpec",
    "CapUsage",
    "Click",
    "Decision",
    "Engine",
    "FraudFlag",
    "FraudSettings",
    "FraudVerdict",
    "LandingSpec",
    "ListsSpec",
    "OfferSpec",
    "Reason",
    "ScheduleSpec",
    "Snapshot",
    "SnapshotSpec",
    "TargetingSpec",
    "TermsPin",
    "build_snapshot",
    "engine_c",
    "engine_py",
]
