"""Postback authentication, per advertiser: a token, an optional IP allowlist, an optional HMAC-SHA256.

Token: ``pbk_<prefix>_<secret>``; the prefix finds the row, only a SHA-256 of the whole token is stored and
compared in constant time. HMAC: hex HMAC-SHA256, keyed by the advertiser's HMAC secret, over
``"<timestamp>.<canonical>"`` where canonical is every parameter except the token and the signature, sorted by
name, percent-encoded as ``k=v`` pairs joined by ``&``. The timestamp (unix seconds) must be within 300 s.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from network import jsoncol
from network.conversions import cache
from network.conversions.dialects import SECRET_PARAMS
from network.conversions.tables import PostbackAuth

TOKEN_PREFIX = "pbk"  # noqa: S105 - a public marker, not a secret
HMAC_TOLERANCE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class Credential:
    id: int
    network_id: int
    advertiser_id: int
    ip_allowlist: tuple[str, ...]
    hmac_secret: str
    require_hmac: bool


class PostbackAuthError(Exception):
    """Refused before anything else is looked at. ``code`` is the reason code the answer and the log carry."""

    def __init__(self, code: str, message: str, status: int, credential: Credential | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.credential = credential


def new_token() -> tuple[str, str, str]:
    """(plaintext, prefix, sha256): the plaintext is shown once."""
    prefix = secrets.token_hex(6)
    plaintext = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}"
    return plaintext, prefix, hashlib.sha256(plaintext.encode()).hexdigest()


def canonical(params: Mapping[str, str]) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k not in SECRET_PARAMS)
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def signature(secret: str, timestamp: str, params: Mapping[str, str]) -> str:
    message = f"{timestamp}.{canonical(params)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _ip_allowed(ip: str, allowlist: tuple[str, ...]) -> bool:
    if not allowlist:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for entry in allowlist:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


async def authenticate(
    *,
    token: str,
    params: Mapping[str, str],
    timestamp: str,
    signature_value: str,
    ip: str,
    now: float,
) -> Credential:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 12:
        raise PostbackAuthError("invalid_token", "the postback token is missing or malformed", 401)
    prefix = parts[1]

    async def load() -> dict[str, Any] | None:
        found: dict[str, Any] | None = (
            await PostbackAuth.select()
            .where((PostbackAuth.token_prefix == prefix) & PostbackAuth.revoked_at.is_null())
            .first()
        )
        return found

    row = await cache.cached("credential", prefix, load)
    digest = hashlib.sha256(token.encode()).hexdigest()
    if row is None or not hmac.compare_digest(digest, row["token_hash"]):
        raise PostbackAuthError("invalid_token", "the postback token is not valid (or was revoked)", 401)
    credential = Credential(
        id=int(row["id"]),
        network_id=int(row["network"]),
        advertiser_id=int(row["advertiser"]),
        ip_allowlist=tuple(jsoncol.load(row["ip_allowlist"]) or ()),
        hmac_secret=row["hmac_secret"],
        require_hmac=bool(row["require_hmac"]),
    )
    if not _ip_allowed(ip, credential.ip_allowlist):
        raise PostbackAuthError(
            "ip_not_allowed", f"postbacks from {ip or 'an unknown address'} are not allowed", 403, credential
        )
    if credential.require_hmac or signature_value:
        _check_hmac(credential, params, timestamp, signature_value, now)
    return credential


def _check_hmac(
    credential: Credential, params: Mapping[str, str], timestamp: str, given: str, now: float
) -> None:
    if not credential.hmac_secret:
        raise PostbackAuthError(
            "bad_signature", "a signature was sent but no HMAC secret is set", 401, credential
        )
    if not given or not timestamp:
        raise PostbackAuthError(
            "signature_required",
            "this advertiser's postbacks must be signed (timestamp, signature)",
            401,
            credential,
        )
    try:
        stamp = int(timestamp)
    except ValueError:
        raise PostbackAuthError("bad_signature", "timestamp must be unix seconds", 401, credential) from None
    if abs(now - stamp) > HMAC_TOLERANCE_SECONDS:
        raise PostbackAuthError(
            "stale_signature",
            f"the signature's timestamp is {int(now - stamp)} s away from now (tolerance "
            f"{HMAC_TOLERANCE_SECONDS} s)",
            401,
            credential,
        )
    expected = signature(credential.hmac_secret, timestamp, params)
    if not hmac.compare_digest(expected, given.lower()):
        raise PostbackAuthError("bad_signature", "the HMAC signature does not match", 401, credential)
