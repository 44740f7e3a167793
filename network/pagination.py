from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter

T = TypeVar("T")

LimitParam = Annotated[int, QueryParameter(ge=1, le=200, description="Page size (1-200).")]
OffsetParam = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="Rows to skip.")]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
