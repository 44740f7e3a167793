"""Secrets: Argon2id for passwords; SHA-256 for high-entropy API keys and session tokens.

API keys and session tokens carry 256 bits of randomness, so a fast hash is safe for them and keeps
authentication off the CPU-heavy KDF path; passwords are low-entropy and get Argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

API_KEY_PREFIX = "cpn"


class PasswordHashing:
    def __init__(self, *, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class NewApiKey:
    plaintext: str
    prefix: str
    secret_hash: str


def new_api_key() -> NewApiKey:
    """``cpn_<prefix>_<secret>``: the prefix finds the row, the secret is only ever stored hashed."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewApiKey(f"{API_KEY_PREFIX}_{prefix}_{secret}", prefix, sha256_hex(secret))


def split_api_key(plaintext: str) -> tuple[str, str] | None:
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 12 or not parts[2]:
        return None
    return parts[1], parts[2]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_referral_code() -> str:
    return secrets.token_hex(5)
