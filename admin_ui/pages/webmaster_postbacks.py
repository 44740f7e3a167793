"""The webmaster's postbacks (network/outgoing/service.py, ``/api/v1/postback-endpoints`` and
``/api/v1/postback-deliveries``): endpoints, global or for one offer, with macros and status and goal filters;
create (the signing secret shown once), edit, switch off, test fire; the delivery log and replay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.response import Template

from admin_ui.forms import FormErrors, invalid_input, required
from admin_ui.pages.params import Code, IdPath, Offset
from admin_ui.pages.webmaster_common import PAGE, AnyRequest, UiDep, problem
from admin_ui.render import notice, redirect, render
from admin_ui.session import WEBMASTER, UiContext, access, read_form
from admin_ui.views import pager
from network.errors import DomainError, NotFoundError
from network.offers import access as offer_access
from network.offers import service as offers
from network.outgoing import macros
from network.outgoing import service as outgoing
from network.outgoing.schemas import DeliveryOut, EndpointIn, EndpointOut, EndpointUpdate

STATUSES = ("pending", "hold", "approved", "rejected", "reversed")
# Failed deliveries the log offers to send again: given up, paused, or still retrying after an error.
REPLAYABLE = frozenset({"dead", "paused", "queued"})


@dataclass(frozen=True)
class LogLine:
    """A delivery with its latest attempt (HTTP status, latency, the start of the answer)."""

    delivery: DeliveryOut
    latency_ms: int | None
    snippet: str
    failed: bool


def _goals(text: str) -> list[str]:
    return [g.strip() for g in text.replace("\n", ",").split(",") if g.strip()]


async def _form(request: AnyRequest, ui: UiContext) -> tuple[dict[str, str], list[str]]:
    """The fields (CSRF checked), and the ticked statuses (a checkbox list: several values of one name)."""
    values = await read_form(request, ui)
    statuses = [s for s in (await request.form()).getall("statuses", []) if isinstance(s, str)]
    return values, statuses


async def _offer_options(ui: UiContext) -> list[tuple[str, str]]:
    principal = ui.require()
    options = [("", ui.t("wm.postbacks.all_offers"))]
    for grant in await offer_access.list_mine(principal):
        if grant.status == "approved":
            try:
                offer = await offers.get_offer(principal, grant.offer_id)
            except NotFoundError:
                continue
            options.append((str(offer.id), offer.name))
    return options


async def _log(ui: UiContext, offset: int) -> tuple[list[LogLine], Any]:
    principal = ui.require()
    found = await outgoing.deliveries(principal, state=None, limit=PAGE, offset=offset)
    lines = []
    for item in found.items:
        full = await outgoing.get_delivery(principal, item.id)
        last = full.log[-1] if full.log else None
        lines.append(
            LogLine(
                delivery=full,
                latency_ms=last.latency_ms if last else None,
                snippet=(last.response_snippet or last.error) if last else "",
                failed=full.state in {"dead", "paused"} or bool(full.last_error),
            )
        )
    return lines, pager(found.total, PAGE, offset, "/ui/wm/postbacks", {})


async def _list_page(
    ui: UiContext,
    *,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    ticked: list[str] | None = None,
    created: EndpointOut | None = None,
    fired: DeliveryOut | None = None,
    done: str | None = None,
    offset: int = 0,
) -> Template:
    endpoints = await outgoing.list_endpoints(ui.require())
    options = await _offer_options(ui)
    lines, log_pager = await _log(ui, offset)
    return render(
        ui,
        "wm/postbacks.html",
        status_code=status_code,
        errors=errors,
        values=values or {},
        ticked=ticked or [],
        endpoints=endpoints,
        offer_names=dict(options),
        offer_options=options,
        statuses=STATUSES,
        macro_names=sorted(macros.MACROS),
        created=created,
        fired=fired,
        fired_attempt=fired.log[-1] if fired and fired.log else None,
        lines=lines,
        log_pager=log_pager,
        replayable=REPLAYABLE,
        notice=notice(ui, done),
    )


async def _endpoint(ui: UiContext, endpoint_id: int) -> EndpointOut:
    found = next((e for e in await outgoing.list_endpoints(ui.require()) if e.id == endpoint_id), None)
    if found is None:
        raise NotFoundError("postback endpoint not found")
    return found


async def _edit_page(
    ui: UiContext,
    endpoint_id: int,
    *,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    ticked: list[str] | None = None,
) -> Template:
    endpoint = await _endpoint(ui, endpoint_id)
    shown = values or {
        "url": endpoint.url,
        "goals": ", ".join(endpoint.goals),
        "enabled": "on" if endpoint.enabled else "",
    }
    return render(
        ui,
        "wm/postback_edit.html",
        status_code=status_code,
        errors=errors,
        values=shown,
        ticked=endpoint.statuses if ticked is None else ticked,
        endpoint=endpoint,
        offer_names=dict(await _offer_options(ui)),
        statuses=STATUSES,
        macro_names=sorted(macros.MACROS),
    )


class WebmasterPostbackPages(Controller):
    path = "/wm/postbacks"
    opt = access(WEBMASTER)

    @get("/")
    async def postbacks(self, ui: UiDep, done: Code = None, offset: Offset = 0) -> Template:
        """The endpoints, the form for a new one, and the delivery log."""
        return await _list_page(ui, done=done, offset=offset)

    @post("/", status_code=200)
    async def create(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        """The secret is on this page only (so no redirect: it cannot be shown again)."""
        values, ticked = await _form(request, ui)
        shown = {k: values.get(k, "") for k in ("url", "offer_id", "goals")}
        errors = required(shown, ui, "url")
        if errors:
            return await _list_page(ui, status_code=422, errors=errors, values=shown, ticked=ticked)
        data: dict[str, Any] = {"url": shown["url"], "statuses": ticked, "goals": _goals(shown["goals"])}
        if shown["offer_id"]:
            data["offer_id"] = shown["offer_id"]
        try:
            endpoint = await outgoing.create(ui.require(), msgspec.convert(data, EndpointIn, strict=False))
        except msgspec.ValidationError as exc:
            errors = invalid_input(exc, ui)
            return await _list_page(ui, status_code=422, errors=errors, values=shown, ticked=ticked)
        except DomainError as exc:
            errors = problem(exc, ui)
            return await _list_page(ui, status_code=exc.status, errors=errors, values=shown, ticked=ticked)
        return await _list_page(ui, status_code=201, created=endpoint)

    @get("/{endpoint_id:int}")
    async def edit(self, ui: UiDep, endpoint_id: IdPath) -> Template:
        return await _edit_page(ui, endpoint_id)

    @post("/{endpoint_id:int}", status_code=200)
    async def update(self, request: AnyRequest, ui: UiDep, endpoint_id: IdPath) -> Response[Any]:
        values, ticked = await _form(request, ui)
        shown = {k: values.get(k, "") for k in ("url", "goals", "enabled")}
        errors = required(shown, ui, "url")
        if errors:
            return await _edit_page(
                ui, endpoint_id, status_code=422, errors=errors, values=shown, ticked=ticked
            )
        data = {
            "url": shown["url"],
            "statuses": ticked,
            "goals": _goals(shown["goals"]),
            "enabled": shown["enabled"] == "on",
        }
        try:
            await outgoing.update(ui.require(), endpoint_id, msgspec.convert(data, EndpointUpdate))
        except msgspec.ValidationError as exc:
            errors = invalid_input(exc, ui)
            return await _edit_page(
                ui, endpoint_id, status_code=422, errors=errors, values=shown, ticked=ticked
            )
        except DomainError as exc:
            errors = problem(exc, ui)
            return await _edit_page(
                ui, endpoint_id, status_code=exc.status, errors=errors, values=shown, ticked=ticked
            )
        return redirect("/ui/wm/postbacks", done="wm_postback_saved")

    @post("/{endpoint_id:int}/disable", status_code=200)
    async def disable(self, request: AnyRequest, ui: UiDep, endpoint_id: IdPath) -> Response[Any]:
        """``DELETE /api/v1/postback-endpoints/{id}``: the endpoint is switched off (its log is kept)."""
        await read_form(request, ui)
        await outgoing.delete(ui.require(), endpoint_id)
        return redirect("/ui/wm/postbacks", done="wm_postback_disabled")

    @post("/{endpoint_id:int}/test", status_code=200)
    async def test_fire(self, request: AnyRequest, ui: UiDep, endpoint_id: IdPath) -> Response[Any]:
        """A sample postback sent now; the page shows the answer (status, latency, its first bytes)."""
        await read_form(request, ui)
        fired = await outgoing.test_fire(ui.require(), endpoint_id)
        return await _list_page(ui, fired=fired)

    @post("/deliveries/{delivery_id:int}/replay", status_code=200)
    async def replay(self, request: AnyRequest, ui: UiDep, delivery_id: IdPath) -> Response[Any]:
        await read_form(request, ui)
        await outgoing.replay(ui.require(), delivery_id)
        return redirect("/ui/wm/postbacks", done="wm_delivery_replayed")
