"""The reader's language, kept on their user row (``User.locale``) through the accounts service."""

from __future__ import annotations

from typing import cast

from network.accounts import profile
from network.accounts.schemas import SUPPORTED_LOCALES, LocaleCode, ProfileUpdate
from network.errors import ValidationError
from network.principal import Principal


async def set_locale(principal: Principal, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise ValidationError(f"locale: one of {', '.join(SUPPORTED_LOCALES)}", field="locale")
    await profile.update_profile(principal, ProfileUpdate(locale=cast(LocaleCode, locale)))
