"""Input checks shared by contexts: URLs with macros, host names, country codes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from network.errors import ValidationError

_MACRO = re.compile(r"\{[a-z0-9_]{1,32}\}|#[a-z0-9_]{1,32}#")
_HOST = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def check_url(value: str, *, field: str, allow_macros: bool = True, allow_empty: bool = False) -> str:
    """An absolute http(s) URL with a host. Macros such as ``{click_id}`` are allowed in templates."""
    if not value:
        if allow_empty:
            return value
        raise ValidationError(f"{field} is required", field=field)
    probe = _MACRO.sub("x", value) if allow_macros else value
    if _CONTROL.search(probe):
        raise ValidationError(f"{field} must not contain spaces or control characters", field=field)
    try:
        parts = urlsplit(probe)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"{field} is not a valid URL: {exc}", field=field) from exc
    if parts.scheme not in {"http", "https"}:
        raise ValidationError(f"{field} must start with http:// or https://", field=field)
    host = (parts.hostname or "").lower()
    if not host or not (_HOST.match(host) or host.startswith("[")):
        raise ValidationError(f"{field} must name a host, e.g. https://shop.example/landing", field=field)
    if port == 0:
        raise ValidationError(f"{field} has an invalid port", field=field)
    return value


def check_host(value: str, *, field: str) -> str:
    host = value.strip().lower()
    if not _HOST.match(host):
        raise ValidationError(f"{field}: {value!r} is not a host name (e.g. shop.example)", field=field)
    return host


def check_tracking_host(value: str, *, field: str) -> str:
    """A host with an optional port, as it appears in a tracking link."""
    host, _, port = value.strip().lower().partition(":")
    check_host(host, field=field)
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValidationError(f"{field}: {value!r} has an invalid port", field=field)
    return value.strip().lower()
