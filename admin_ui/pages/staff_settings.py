"""Staff: the network's settings. The network itself (name, tracking host, time zone, currency, trafficback)
through the tenants service, and the money policy (referral levels and shares, minimum withdrawal, the
advertiser balance gate, postback limits) through the same calls as GET|PUT /api/v1/network/finance. Staff
read them; only a network admin changes them, as the API allows."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.response import Template

from admin_ui.forms import FormErrors, required
from admin_ui.pages.params import Code
from admin_ui.pages.staff_common import AnyRequest, UiDep, attempt
from admin_ui.render import notice, redirect, render
from admin_ui.session import STAFF, UiContext, access, read_form
from network.conversions import policy as finance_policy
from network.conversions import service as conversions
from network.principal import Role
from network.tenants import service as tenants
from network.tenants.schemas import NetworkUpdate

PATH = "/ui/staff/settings"
LEVELS = 7
GATES = ("hold", "pause_offer", "off")
NETWORK_FIELDS = ("name", "tracking_host", "timezone", "currency", "trafficback_url")
ADMIN = access({Role.NETWORK_ADMIN})
# The tenants service's problems that name no field, by the start of their detail.
NETWORK_PROBLEMS = {
    "unknown time zone": "timezone",
    "that tracking host": "tracking_host",
    "tracking_host": "tracking_host",
    "trafficback_url": "trafficback_url",
}


def _policy_values(found: finance_policy.FinancePolicy) -> dict[str, str]:
    values = {
        "balance_gate": found.balance_gate,
        "min_withdrawal": found.min_withdrawal,
        "attribution_grace_seconds": str(found.attribution_grace_seconds),
        "outgoing_pause_after": str(found.outgoing_pause_after),
        "outgoing_max_attempts": str(found.outgoing_max_attempts),
    }
    for level in range(1, LEVELS + 1):
        shares = found.referral_shares
        values[f"referral_shares-{level}"] = shares[level - 1] if level <= len(shares) else ""
    return values


async def _page(
    ui: UiContext,
    *,
    status_code: int = 200,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    principal = ui.require()
    network = await tenants.get_network(principal)
    found = await conversions.get_finance(principal)
    shown = {
        **{name: str(getattr(network, name)) for name in NETWORK_FIELDS},
        **_policy_values(found),
        **(values or {}),
    }
    return render(
        ui,
        "staff/settings.html",
        status_code=status_code,
        errors=errors,
        values=shown,
        failed=failed,
        network=network,
        policy=found,
        levels=list(range(1, LEVELS + 1)),
        gate_options=[(g, ui.t(f"staff.settings.gate_{g}")) for g in GATES],
        editable=principal.role is Role.NETWORK_ADMIN,
        notice=notice(ui, done),
    )


def _shares(form: Any, ui: UiContext) -> list[str]:
    """The shares per level as typed, trailing empty levels dropped (a gap in between is refused)."""
    typed = [
        ui.fmt.parse_amount(str(form.get(f"referral_shares-{level}", ""))) for level in range(1, LEVELS + 1)
    ]
    while typed and not typed[-1]:
        typed.pop()
    return typed


class StaffSettingsPages(Controller):
    path = "/staff/settings"
    opt = access(STAFF)

    @get("/")
    async def settings(self, ui: UiDep, done: Code = None) -> Template:
        """The network's settings and money policy: readable by staff, editable by a network admin."""
        return await _page(ui, done=done)

    @post("/network", status_code=200, opt=ADMIN)
    async def save_network(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        values = await read_form(request, ui)
        body = {name: values.get(name, "") for name in NETWORK_FIELDS}
        shown = dict(body)
        errors = required(values, ui, "name", "tracking_host", "timezone", "currency")
        if errors:
            return await _page(ui, status_code=422, failed="network", errors=errors, values=shown)

        async def call() -> object:
            return await tenants.update_network(ui.require(), msgspec.convert(body, NetworkUpdate))

        _, status_code, errors = await attempt(ui, call, NETWORK_PROBLEMS)
        if errors:
            return await _page(ui, status_code=status_code, failed="network", errors=errors, values=shown)
        return redirect(PATH, done="staff_settings_saved")

    @post("/finance", status_code=200, opt=ADMIN)
    async def save_finance(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        values = await read_form(request, ui)
        shares = _shares(values, ui)
        shown = {k: v for k, v in values.items() if k.startswith("referral_shares-")}
        body: dict[str, Any] = {
            "referral_shares": shares,
            "balance_gate": values.get("balance_gate", ""),
            "min_withdrawal": ui.fmt.parse_amount(values.get("min_withdrawal", "")) or "0",
        }
        shown |= {"balance_gate": body["balance_gate"], "min_withdrawal": values.get("min_withdrawal", "")}
        errors = FormErrors.empty()
        for name in ("attribution_grace_seconds", "outgoing_pause_after", "outgoing_max_attempts"):
            shown[name] = values.get(name, "")
            try:
                body[name] = int(shown[name])
            except ValueError:
                errors.fields[name] = ui.t("err.invalid_value")
        if "" in shares:
            errors.fields["referral_shares-1"] = ui.t("staff.settings.share_gap")
        if errors:
            return await _page(ui, status_code=422, failed="finance", errors=errors, values=shown)

        async def call() -> object:
            data = msgspec.convert(body, finance_policy.FinancePolicy)
            return await conversions.put_finance(ui.require(), data)

        _, status_code, errors = await attempt(ui, call)
        if errors:
            # A refused share is reported by its place in the list: show it next to that level's field.
            errors.fields = {
                ("referral_shares-1" if k == "referral_shares" else k): v for k, v in errors.fields.items()
            }
            return await _page(ui, status_code=status_code, failed="finance", errors=errors, values=shown)
        return redirect(PATH, done="staff_finance_saved")
