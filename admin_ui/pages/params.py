"""Query and path parameters of the pages, bounded like the API's."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

from network.types import IdPath

__all__ = ["Code", "IdPath", "Locale", "Next", "Offset", "Text"]

# A search box or filter value.
Text = Annotated[str | None, QueryParameter(max_length=100)]
# A short code: a status, a notice name, a network slug.
Code = Annotated[str | None, QueryParameter(max_length=64)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
# Where to go after logging in or switching the language (checked by session.safe_next).
Next = Annotated[str | None, QueryParameter(name="next", max_length=500)]
Locale = Annotated[str, PathParameter(max_length=8)]
