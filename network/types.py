"""Constrained types shared by the API schemas."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import PathParameter

MAX_ID = 2**63 - 1  # BIGINT: ids outside it can name nothing, and would overflow the drivers

DbId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
IdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
