"""Dependencies shared by every controller."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from network.accounts.password_reset import PasswordResets
from network.accounts.security import PasswordHashing
from network.http.auth import principal_dependency
from network.principal import Principal
from network.settings import Settings


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _hasher(request: Request[Any, Any, Any]) -> PasswordHashing:
    hasher: PasswordHashing = request.app.state.hasher
    return hasher


def _resets(request: Request[Any, Any, Any]) -> PasswordResets:
    resets: PasswordResets = request.app.state.password_resets
    return resets


DEPENDENCIES = {
    "principal": Provide(principal_dependency, sync_to_thread=False),
    "settings": Provide(_settings, sync_to_thread=False),
    "hasher": Provide(_hasher, sync_to_thread=False),
    "resets": Provide(_resets, sync_to_thread=False),
}

# Handler parameter types: the parameter name selects the dependency above.
PrincipalDep = NamedDependency[Principal]
SettingsDep = NamedDependency[Settings]
HasherDep = NamedDependency[PasswordHashing]
ResetsDep = NamedDependency[PasswordResets]
