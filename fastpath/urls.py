"""URL checks shared by both engines: deep-link validation (no open redirect) and referrer domains."""

from __future__ import annotations

from urllib.parse import urlsplit


def _printable_ascii(url: str) -> bool:
    return url.isascii() and all(32 < ord(c) < 127 and c != "\\" for c in url)


def safe_deep_link(url: str, hosts: frozenset[str], suffixes: tuple[str, ...]) -> str | None:
    """``url`` when it is an http(s) URL on an allowed host, else None (the caller then ignores it).

    Rejected: other schemes (``javascript:``, ``data:``), user info (``https://good@evil``), backslashes,
    whitespace, control and non-ASCII characters, and hosts outside ``hosts`` / ``*.suffix``.
    """
    if not url or not _printable_ascii(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    del port  # only validated: any port of an allowed host is accepted
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc:
        return None
    host = parts.hostname
    if not host:
        return None
    if host in hosts or any(host.endswith(s) or host == s[1:] for s in suffixes):
        return url
    return None


def referrer_host(referrer: str) -> str:
    """Lower-case host of a referrer URL, '' when there is none."""
    try:
        return urlsplit(referrer).hostname or ""
    except ValueError:
        return ""


def domain_listed(host: str, domains: frozenset[str]) -> bool:
    """True when ``host`` or one of its parent domains is in ``domains``."""
    while host:
        if host in domains:
            return True
        dot = host.find(".")
        if dot < 0:
            return False
        host = host[dot + 1 :]
    return False
