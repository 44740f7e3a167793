"""Who is on the other end of a request, as far as the network's proxy settings let us know."""

from __future__ import annotations

from typing import Any

from litestar import Request

from network.settings import Settings


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The client's address: the first ``X-Forwarded-For`` entry when CPANET_TRUST_PROXY_HEADERS is on,
    else the peer. (The click endpoint reads the same header from raw ASGI headers on its own hot path.)"""
    settings: Settings = request.app.state.settings
    if settings.http.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    return request.client.host if request.client else ""
