"""HMAC-SHA256 signatures on outgoing postbacks, and the check a receiver runs (docs/outbound.md).

Every request carries three headers:

    X-Cpanet-Event-Id:  the delivery's id, the same on every retry (de-duplicate on it)
    X-Cpanet-Timestamp: Unix time in seconds when this attempt was signed
    X-Cpanet-Signature: v1=<hex HMAC-SHA256 of the canonical string, keyed with the endpoint's secret>

Canonical string, v1 (ASCII, fields joined with "."):

    {timestamp}.{event_id}.{METHOD}.{url}.{hex SHA-256 of the body}

- ``timestamp`` decimal digits, ``event_id`` letters, digits, ``-`` and ``_``, ``METHOD`` upper case: none of
  them contains a dot, and the body hash is always 64 characters, so the split is unambiguous although the
  URL has dots.
- ``url`` is the absolute URL requested: ``scheme://host[:port]/path?query`` with scheme and host in lower
  case, the port only when it is not the scheme's default, and path and query exactly as in the request
  line (no fragment). After a redirect, it is the URL of that hop: every hop is signed again.
- the body of a GET is empty: its hash is that of b"" (e3b0c442...).

Several ``v1=`` values separated by commas may be sent while a secret is rotated; one match is enough.
``verify`` below uses only the standard library on purpose: it is the recipe receivers copy.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Final

TIMESTAMP_HEADER: Final = "X-Cpanet-Timestamp"
SIGNATURE_HEADER: Final = "X-Cpanet-Signature"
EVENT_ID_HEADER: Final = "X-Cpanet-Event-Id"
SIGNATURE_VERSION: Final = "v1"
DEFAULT_TOLERANCE: Final = 300  # seconds, either side of the receiver's clock

EVENT_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a UUID fits
_METHOD: Final = re.compile(r"[A-Z]{1,16}")


def canonical_string(timestamp: int, method: str, url: str, body: bytes, *, event_id: str) -> bytes:
    method = method.upper()
    if timestamp < 0 or not EVENT_ID_PATTERN.fullmatch(event_id) or not _METHOD.fullmatch(method):
        raise ValueError("timestamp must be >= 0, event_id [A-Za-z0-9_-]{1,64}, method letters only")
    if not url.isascii() or any(c in url for c in "\r\n"):
        raise ValueError("the URL must be ASCII without line breaks")
    body_hash = hashlib.sha256(body).hexdigest()
    return f"{timestamp}.{event_id}.{method}.{url}.{body_hash}".encode("ascii")


def sign(secret: bytes, timestamp: int, method: str, url: str, body: bytes, *, event_id: str) -> str:
    """The hex HMAC-SHA256 of the canonical string (the part after ``v1=``)."""
    message = canonical_string(timestamp, method, url, body, event_id=event_id)
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def signature_headers(
    secret: bytes, method: str, url: str, body: bytes, *, event_id: str, timestamp: int
) -> dict[str, str]:
    signature = sign(secret, timestamp, method, url, body, event_id=event_id)
    return {
        EVENT_ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{SIGNATURE_VERSION}={signature}",
    }


def verify(
    secret: bytes,
    headers: Mapping[str, str],
    method: str,
    url: str,
    body: bytes,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """True when the headers carry a valid v1 signature of this request, signed within ``tolerance`` seconds
    of ``now`` (Unix time). Header names are matched case-insensitively."""
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp = lowered.get("x-cpanet-timestamp", "")
    event_id = lowered.get("x-cpanet-event-id", "")
    if not re.fullmatch(r"[0-9]{1,12}", timestamp) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", event_id):
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    body_hash = hashlib.sha256(body).hexdigest()
    message = f"{timestamp}.{event_id}.{method.upper()}.{url}.{body_hash}".encode()
    expected = hmac.new(secret, message, hashlib.sha256).hexdigest()
    sent = [part.strip() for part in lowered.get("x-cpanet-signature", "").split(",")]
    candidates = [part[3:] for part in sent if part.startswith("v1=")]
    # compare_digest on every candidate: the time taken does not depend on where a guess goes wrong
    matches = [hmac.compare_digest(expected, c) for c in candidates if re.fullmatch(r"[0-9a-f]{64}", c)]
    return any(matches)
