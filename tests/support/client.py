from typing import Any

from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Any]
