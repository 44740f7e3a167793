"""The staff console's navigation and notice names (admin_ui/render.py reads them): kept here so that the
staff pages can grow without editing the shared module each time."""

from __future__ import annotations

STAFF_NAV: tuple[tuple[str, str], ...] = (
    ("/ui/staff/moderation", "nav.moderation"),
    ("/ui/staff/conversions", "nav.staff_conversions"),
    ("/ui/staff/fraud", "nav.staff_fraud"),
    ("/ui/staff/lists", "nav.staff_lists"),
    ("/ui/staff/finance", "nav.staff_finance"),
    ("/ui/staff/users", "nav.staff_users"),
    ("/ui/staff/settings", "nav.staff_settings"),
    ("/ui/staff/audit", "nav.staff_audit"),
)

STAFF_NOTICES = frozenset(
    {
        "staff_conversion_approved",
        "staff_conversion_rejected",
        "staff_conversion_hold",
        "staff_conversion_reversed",
        "staff_withdrawal_approved",
        "staff_withdrawal_rejected",
        "staff_batch_paid",
        "staff_user_banned",
        "staff_user_unbanned",
        "staff_key_revoked",
        "staff_access_approved",
        "staff_access_declined",
        "staff_settings_saved",
        "staff_finance_saved",
        "staff_fraud_banned",
        "staff_list_added",
        "staff_list_removed",
    }
)
