"""The floor for the click benchmark: an ASGI app that answers every request with the same 302.

    uvicorn benchmarks.bare_asgi:app --host 127.0.0.1 --port 8001

benchmarks/click_bench.py serves it with the same uvicorn options as cpanet, so the ratio between the two
is the price of the click path itself (link parsing, the fastpath decision, the journal, storage).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Message = dict[str, Any]

LOCATION = b"https://landing.example/land?clickid=0BCjG6KkLoUTIAf2I9X&s=bench"

_START = {
    "type": "http.response.start",
    "status": 302,
    "headers": [(b"location", LOCATION), (b"cache-control", b"no-store"), (b"content-length", b"0")],
}
_BODY = {"type": "http.response.body", "body": b"", "more_body": False}


async def app(
    scope: Message, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(_START)
    await send(_BODY)
