"""The staff console's controllers beyond the moderation queue, for admin_ui/mount.py to register."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from admin_ui.pages.staff_access import StaffAccessPages
from admin_ui.pages.staff_audit import StaffAuditPages
from admin_ui.pages.staff_conversions import StaffConversionPages
from admin_ui.pages.staff_finance import StaffFinancePages
from admin_ui.pages.staff_fraud import StaffFraudPages
from admin_ui.pages.staff_lists import StaffListPages
from admin_ui.pages.staff_settings import StaffSettingsPages
from admin_ui.pages.staff_users import StaffUserPages

STAFF_CONTROLLERS: list[ControllerRouterHandler] = [
    StaffConversionPages,
    StaffFinancePages,
    StaffUserPages,
    StaffAuditPages,
    StaffAccessPages,
    StaffSettingsPages,
    StaffFraudPages,
    StaffListPages,
]
