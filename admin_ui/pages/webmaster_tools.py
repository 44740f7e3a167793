"""The webmaster's tool pages beyond admin_ui/pages/webmaster.py, for admin_ui/mount.py to register."""

from __future__ import annotations

from litestar import Controller

from admin_ui.pages.webmaster_account import WebmasterAccountPages
from admin_ui.pages.webmaster_links import WebmasterLinkPages
from admin_ui.pages.webmaster_postbacks import WebmasterPostbackPages
from admin_ui.pages.webmaster_stats import WebmasterStatsPages

WM_CONTROLLERS: tuple[type[Controller], ...] = (
    WebmasterLinkPages,
    WebmasterStatsPages,
    WebmasterPostbackPages,
    WebmasterAccountPages,
)
