"""Answers written straight to ASGI ``send`` by the raw handlers dispatched before litestar
(network/http/front.py: the click endpoint, GET postbacks): the same problem documents as litestar's
exception handlers write (network/http/problems.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import msgspec
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Send

from network.http.problems import PROBLEM_MEDIA_TYPE, problem_body

Headers = Sequence[tuple[bytes, bytes]]


async def respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
    """Start and body in one go (the click's 302 passes its header list through unchanged)."""
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


async def send_json(send: Send, status: int, media_type: str, document: Any, headers: Headers = ()) -> None:
    content = msgspec.json.encode(document)
    head = [(b"content-type", media_type.encode()), (b"content-length", str(len(content)).encode())]
    await respond(send, status, [*head, *headers], content)


async def send_problem(
    send: Send,
    *,
    instance: str,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: Headers = (),
    **extra: Any,
) -> None:
    body = problem_body(instance=instance, status=status, slug=slug, title=title, detail=detail, **extra)
    await send_json(send, status, PROBLEM_MEDIA_TYPE, body, headers)


async def internal_error(send: Send, instance: str, detail: str, headers: Headers = ()) -> None:
    """A 500 problem for a request that failed unexpectedly, if its response has not started yet (a server
    refuses a second response start with RuntimeError: then the client already has an answer)."""
    with contextlib.suppress(RuntimeError):
        await send_problem(
            send,
            instance=instance,
            status=500,
            slug="internal",
            title="Internal error",
            detail=detail,
            headers=headers,
        )
