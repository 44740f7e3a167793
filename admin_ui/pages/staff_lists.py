"""Staff: the click engine's block and allow lists (IPs and CIDRs, sub id values, referrer domains,
webmasters), through network/lists/service.py, the same service as ``/api/v1/traffic-lists``. Adding and
removing both need a reason; a removed entry stays in the history. The fraud page links here with the case's
IP or sub id filled in."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Template

from admin_ui.forms import FormErrors, misplaced, required
from admin_ui.pages.params import Code, IdPath, Offset
from admin_ui.pages.staff_common import AnyRequest, UiDep, attempt
from admin_ui.render import notice, redirect, render
from admin_ui.session import STAFF, UiContext, access, read_form
from admin_ui.views import pager
from network.lists import service
from network.lists.schemas import ListEntryCreate, ListEntryRemove

PATH = "/ui/staff/lists"
PAGE = 50
KINDS = ("ip", "sub", "referrer_domain", "webmaster")
ACTIONS = ("block", "allow")
KindQuery = Annotated[str | None, QueryParameter(pattern=r"^(ip|sub|referrer_domain|webmaster)$")]
ValueQuery = Annotated[str | None, QueryParameter(max_length=255)]
Flag = Annotated[str | None, QueryParameter(pattern=r"^1?$")]


async def _page(
    ui: UiContext,
    *,
    kind: str | None = None,
    history: bool = False,
    offset: int = 0,
    status_code: int = 200,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    found = await service.list_entries(
        ui.require(), kind=kind, include_removed=history, limit=PAGE, offset=offset
    )
    return render(
        ui,
        "staff/lists.html",
        status_code=status_code,
        errors=errors,
        values=values or {},
        failed=failed,
        misplaced=misplaced(errors, failed, {"add", *(f"entry-{e.id}" for e in found.items)}),
        entries=found.items,
        kinds=[(k, ui.t.label("staff.lists.kind", k)) for k in KINDS],
        actions=[(a, ui.t.label("staff.lists.action", a)) for a in ACTIONS],
        kind=kind or "",
        history=history,
        pager=pager(found.total, PAGE, offset, PATH, {"kind": kind, "history": "1" if history else None}),
        notice=notice(ui, done),
    )


class StaffListPages(Controller):
    path = "/staff/lists"
    opt = access(STAFF)

    @get("/")
    async def lists(
        self,
        ui: UiDep,
        kind: KindQuery = None,
        value: ValueQuery = None,
        history: Flag = None,
        offset: Offset = 0,
        done: Code = None,
    ) -> Template:
        """The active entries (or all of them, with ``history=1``); ``kind`` and ``value`` fill in the add
        form (the fraud page's "block this IP / sub id" links)."""
        prefill = {"kind": kind or "ip", "action": "block", "value": value or ""}
        return await _page(ui, kind=None, history=history == "1", offset=offset, values=prefill, done=done)

    @post("/", status_code=200)
    async def add(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        values = await read_form(request, ui)
        shown = {k: values.get(k, "") for k in ("kind", "action", "value", "reason")}
        errors = required(shown, ui, "kind", "action", "value", "reason")
        if errors:
            return await _page(ui, status_code=422, failed="add", errors=errors, values=shown)

        async def call() -> object:
            return await service.add(ui.require(), msgspec.convert(shown, ListEntryCreate))

        _, status_code, errors = await attempt(ui, call)
        if errors:
            return await _page(ui, status_code=status_code, failed="add", errors=errors, values=shown)
        return redirect(PATH, done="staff_list_added")

    @post("/{entry_id:int}/remove", status_code=200)
    async def remove(self, request: AnyRequest, ui: UiDep, entry_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)
        failed = f"entry-{entry_id}"
        shown = {"reason": values.get("reason", "")}
        errors = required(shown, ui, "reason")
        if errors:
            return await _page(ui, status_code=422, failed=failed, errors=errors, values=shown)

        async def call() -> object:
            return await service.remove(ui.require(), entry_id, ListEntryRemove(reason=shown["reason"]))

        _, status_code, errors = await attempt(ui, call)
        if errors:
            return await _page(ui, status_code=status_code, failed=failed, errors=errors, values=shown)
        return redirect(PATH, done="staff_list_removed")
