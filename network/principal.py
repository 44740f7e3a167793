"""Who is calling: resolved once per request by the auth middleware and passed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    NETWORK_ADMIN = "network_admin"
    STAFF = "staff"
    ADVERTISER = "advertiser"
    WEBMASTER = "webmaster"


STAFF_ROLES = frozenset({Role.NETWORK_ADMIN, Role.STAFF})


@dataclass(frozen=True)
class Principal:
    network_id: int
    user_id: int
    role: Role
    advertiser_id: int | None = None
    webmaster_id: int | None = None
    api_key_id: int | None = None
    session_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def audit_actor(self) -> tuple[str, str]:
        return str(self.user_id), self.role.value
