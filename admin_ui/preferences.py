"""The reader's language, kept on their user row (``User.locale``).

The accounts service has no use case for it yet; this is the one write the cabinets make themselves, scoped
to the caller's own row in their own network. It belongs in network/accounts/service.py once that module's
owners add a profile update (the API's profile page will need it too).
"""

from __future__ import annotations

from admin_ui.i18n import LOCALES
from network.accounts.tables import User
from network.errors import ValidationError
from network.principal import Principal


async def set_locale(principal: Principal, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationError(f"locale: one of {', '.join(LOCALES)}", field="locale")
    await User.update({User.locale: locale}).where(
        (User.network == principal.network_id) & (User.id == principal.user_id)
    )
