"""The advertiser's offers: the list, a new offer, and the offer page with its edit form and status moves
(submit for moderation, pause, archive), with the same services as the API (network/offers/service.py).
Form fields are named as the API's fields; list items as ``goals[0].key``, ``landings[1].url_template``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors
from admin_ui.pages.params import Code, IdPath, Offset, Text
from admin_ui.pages.schedule_form import WEEKDAYS, day_field, schedule_body, schedule_values
from admin_ui.render import notice, redirect, render
from admin_ui.session import ADVERTISER, UiContext, access, read_form
from admin_ui.views import pager
from network.errors import DomainError
from network.offers import service as offers
from network.offers.schemas import OfferCreate, OfferOut, OfferUpdate, Transition
from network.principal import Role

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
PAGE = 20
VISIBILITIES = ("public", "approval_required", "private")
STATUSES = ("draft", "pending", "active", "paused", "archived")
DEVICES = ("desktop", "mobile", "tablet")
SYSTEMS = ("windows", "macos", "linux", "android", "ios", "other")
GOAL_KINDS = ("CPA", "CPS", "CPL", "CPC")
PROMO_KINDS = ("banner", "text", "email")
CAP_PERIODS = ("daily", "monthly", "total")
CAP_METRICS = ("clicks", "conversions", "budget")
CAP_SCOPES = ("shared", "per_webmaster")
CAP_POLICIES = ("reject", "hold")
# The macros a landing page's address may hold (docs/api.md), filled in by the tracker on each click.
MACROS = ("{click_id}", "{sub1}", "{sub2}", "{sub10}", "{offer_id}", "{webmaster_id}", "{geo}")
# The list fields of an offer, each with its item fields; an item whose text fields are all empty is a
# blank row of the form, not an item.
LISTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "goals": (("key", "name", "kind"), ("key", "name")),
    "landings": (("name", "url_template", "deep_link_hosts"), ("name", "url_template")),
    "promo_materials": (("kind", "name", "url", "content", "width", "height"), ("name", "url", "content")),
    "caps": (("period", "metric", "limit", "scope"), ("limit",)),
}
SCALARS = (
    "name",
    "description",
    "category",
    "currency",
    "visibility",
    "attribution_window_days",
    "cap_policy",
    "min_ctct_seconds",
    "max_ctct_seconds",
    "trafficback_url",
)
INTEGERS = frozenset({"attribution_window_days", "min_ctct_seconds", "max_ctct_seconds", "width", "height"})
ITEM = re.compile(r"^([a-z_]+)\[(\d{1,3})\]\.([a-z_]+)$")
MSGSPEC_AT = re.compile(r"at `\$\.([^`]+)`")
MSGSPEC_MISSING = re.compile(r"missing required field `([A-Za-z0-9_]+)`(?: - at `\$\.([^`]+)`)?")


@dataclass(frozen=True)
class Move:
    """A status change the advertiser may make from the offer's current status."""

    to: str
    label: str
    danger: bool


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _number(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def offer_body(values: dict[str, str], chosen: dict[str, list[str]], *, create: bool) -> dict[str, Any]:
    """The API request body that the form describes."""
    body: dict[str, Any] = {}
    for name in SCALARS:
        if name == "currency" and not create:
            continue
        text = values.get(name, "")
        if name in INTEGERS:
            if text:
                body[name] = _number(text)
        elif text or name in {"description", "category", "trafficback_url"}:
            body[name] = text
    body["allowed_sources"] = _split(values.get("allowed_sources", ""))
    body["targeting"] = {
        "countries": [c.upper() for c in _split(values.get("targeting.countries", ""))],
        "devices": chosen.get("targeting.devices", []),
        "os": chosen.get("targeting.os", []),
    }
    items: dict[str, dict[int, dict[str, str]]] = {name: {} for name in LISTS}
    for key, value in values.items():
        match = ITEM.match(key)
        if match and match.group(1) in LISTS and match.group(3) in LISTS[match.group(1)][0]:
            items[match.group(1)].setdefault(int(match.group(2)), {})[match.group(3)] = value
    default = values.get("landing_default", "")
    for name, (fields, texts) in LISTS.items():
        rows = []
        for index in sorted(items[name]):
            row = items[name][index]
            if not any(row.get(f) for f in texts):
                continue
            item: dict[str, Any] = {}
            for f in fields:
                text = row.get(f, "")
                if f == "deep_link_hosts":
                    item[f] = _split(text)
                elif f in INTEGERS:
                    if text:
                        item[f] = _number(text)
                elif text or f not in {"kind", "period", "metric", "scope"}:
                    item[f] = text
            if name == "landings":
                item["is_default"] = default == str(index)
            rows.append(item)
        body[name] = rows
    return body


def schema_errors(exc: msgspec.ValidationError, ui: UiContext) -> FormErrors:
    """A value the API's schema refuses, next to its field (``landings[0].url_template`` included)."""
    text = str(exc)
    missing = MSGSPEC_MISSING.search(text)
    if missing:
        where = f"{missing.group(2)}.{missing.group(1)}" if missing.group(2) else missing.group(1)
        return FormErrors({where: ui.t("err.required")}, [])
    at = MSGSPEC_AT.search(text)
    if at:
        field = at.group(1)
        if field in {"goals", "landings"} and "Expected `array` of length >= 1" in text:
            return FormErrors({f"{field}[0].name": ui.t("adv.offers.need_one")}, [])
        # A country is checked per item: the message belongs to the countries field.
        field = re.sub(r"^targeting\.(countries|devices|os)\[\d+\]$", r"targeting.\1", field)
        return FormErrors({field: ui.t("err.invalid_value")}, [])
    return FormErrors({}, [ui.t("err.invalid")])


def offer_values(offer: OfferOut) -> dict[str, str]:
    """The form prefilled from an offer."""
    values: dict[str, str] = {
        name: str(getattr(offer, name)) for name in SCALARS if name in OfferOut.__struct_fields__
    }
    values["allowed_sources"] = ", ".join(offer.allowed_sources)
    values["targeting.countries"] = ", ".join(offer.targeting.countries)
    values.update(schedule_values(offer.targeting.schedule))
    for i, g in enumerate(offer.goals):
        values.update({f"goals[{i}].key": g.key, f"goals[{i}].name": g.name, f"goals[{i}].kind": g.kind})
    for i, lp in enumerate(offer.landings):
        values.update(
            {
                f"landings[{i}].name": lp.name,
                f"landings[{i}].url_template": lp.url_template,
                f"landings[{i}].deep_link_hosts": ", ".join(lp.deep_link_hosts),
            }
        )
        if lp.is_default:
            values["landing_default"] = str(i)
    for i, p in enumerate(offer.promo_materials):
        for f in ("kind", "name", "url", "content"):
            values[f"promo_materials[{i}].{f}"] = str(getattr(p, f))
        for f in ("width", "height"):
            value = getattr(p, f)
            values[f"promo_materials[{i}].{f}"] = "" if value is None else str(value)
    for i, c in enumerate(offer.caps):
        for f in ("period", "metric", "limit", "scope"):
            values[f"caps[{i}].{f}"] = str(getattr(c, f))
    return values


def _rows(values: dict[str, str], name: str) -> list[int]:
    """The item rows the form shows: those filled in, and one blank row to add another."""
    used = {int(m.group(2)) for k in values if (m := ITEM.match(k)) and m.group(1) == name}
    count = max(used) + 1 if used else 0
    return list(range(count + 1))


def _moves(ui: UiContext, status: str) -> list[Move]:
    moves = [
        to
        for (current, to), roles in offers.TRANSITIONS.items()
        if current == status and Role.ADVERTISER in roles
    ]
    return [Move(to, ui.t(f"adv.offers.move_{to}"), to == "archived") for to in moves]


class AdvertiserOfferPages(Controller):
    path = "/adv/offers"
    opt = access(ADVERTISER)

    def _form_page(
        self,
        ui: UiContext,
        template: str,
        values: dict[str, str],
        chosen: dict[str, list[str]],
        *,
        status_code: int = 200,
        errors: FormErrors | None = None,
        **data: Any,
    ) -> Template:
        t = ui.t
        return render(
            ui,
            template,
            status_code=status_code,
            errors=errors,
            values=values,
            chosen=chosen,
            rows={name: _rows(values, name) for name in LISTS},
            visibility_options=[(v, t.label("visibility", v)) for v in VISIBILITIES],
            policy_options=[(p, t(f"adv.offers.policy_{p}")) for p in CAP_POLICIES],
            goal_kinds=[(k, k) for k in GOAL_KINDS],
            promo_kinds=[(k, t.label("promo", k)) for k in PROMO_KINDS],
            cap_periods=[(p, t(f"adv.offers.period_{p}")) for p in CAP_PERIODS],
            cap_metrics=[(m, t(f"adv.offers.metric_{m}")) for m in CAP_METRICS],
            cap_scopes=[(s, t(f"adv.offers.scope_{s}")) for s in CAP_SCOPES],
            devices=[(d, t.label("device", d)) for d in DEVICES],
            systems=[(s, t(f"adv.offers.os_{s}")) for s in SYSTEMS],
            macros=MACROS,
            weekdays=[(day_field(d), t(f"adv.offers.day_{d}")) for d in WEEKDAYS],
            **data,
        )

    @get("/")
    async def offers_list(
        self, ui: UiDep, status: Code = None, q: Text = None, offset: Offset = 0, done: Code = None
    ) -> Template:
        """Every offer of the advertiser, by status, with a name search."""
        chosen = status if status in STATUSES else None
        found = await offers.list_offers(
            ui.require(),
            status=chosen,
            visibility=None,
            category=None,
            search=q or None,
            limit=PAGE,
            offset=offset,
        )
        return render(
            ui,
            "adv/offers.html",
            offers=found.items,
            total=found.total,
            status=chosen or "",
            q=q or "",
            status_options=[("", ui.t("conversions.all"))]
            + [(s, ui.t(f"adv.offer_status.{s}")) for s in STATUSES],
            pager=pager(found.total, PAGE, offset, "/ui/adv/offers", {"status": chosen, "q": q}),
            notice=notice(ui, done),
        )

    @get("/new")
    async def new_offer(self, ui: UiDep) -> Template:
        """An empty offer form: one goal, one landing page; more rows appear once these are saved."""
        network = ui.network
        values = {"currency": network.currency if network else "USD", "visibility": "public"}
        values.update({"attribution_window_days": "30", "cap_policy": "reject", "landing_default": "0"})
        values.update({"min_ctct_seconds": "0", "max_ctct_seconds": "0", "goals[0].kind": "CPA"})
        return self._form_page(ui, "adv/offer_new.html", values, {})

    @post("/new", status_code=200)
    async def create(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        values = await read_form(request, ui)
        form = await request.form()
        chosen = {
            k: [str(v) for v in form.getall(k)] for k in ("targeting.devices", "targeting.os") if k in form
        }
        body = offer_body(values, chosen, create=True)
        schedule, errors = schedule_body(values, ui)
        if errors:
            return self._form_page(ui, "adv/offer_new.html", values, chosen, status_code=422, errors=errors)
        if schedule is not None:
            body["targeting"]["schedule"] = schedule
        try:
            data = msgspec.convert(body, OfferCreate, strict=False)
            created = await offers.create_offer(ui.require(), data)
        except msgspec.ValidationError as exc:
            return self._form_page(
                ui, "adv/offer_new.html", values, chosen, status_code=422, errors=schema_errors(exc, ui)
            )
        except DomainError as exc:
            return self._form_page(
                ui, "adv/offer_new.html", values, chosen, status_code=exc.status, errors=form_errors(exc, ui)
            )
        return redirect(f"/ui/adv/offers/{created.id}", done="adv_offer_created")

    async def _offer_page(
        self,
        ui: UiContext,
        offer_id: int,
        *,
        values: dict[str, str] | None = None,
        chosen: dict[str, list[str]] | None = None,
        status_code: int = 200,
        errors: FormErrors | None = None,
        move_errors: FormErrors | None = None,
        done: str | None = None,
    ) -> Template:
        offer = await offers.get_offer(ui.require(), offer_id)
        if values is None:
            values = offer_values(offer)
            chosen = {
                "targeting.devices": list(offer.targeting.devices),
                "targeting.os": list(offer.targeting.os),
            }
        return self._form_page(
            ui,
            "adv/offer.html",
            values,
            chosen or {},
            status_code=status_code,
            errors=errors,
            offer=offer,
            moves=_moves(ui, offer.status),
            move_errors=move_errors or FormErrors.empty(),
            notice=notice(ui, done),
        )

    @get("/{offer_id:int}")
    async def offer(self, ui: UiDep, offer_id: IdPath, done: Code = None) -> Template:
        """The offer's status and moves, its edit form, and links to its terms and access requests."""
        return await self._offer_page(ui, offer_id, done=done)

    @post("/{offer_id:int}", status_code=200)
    async def save(self, request: AnyRequest, ui: UiDep, offer_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)
        form = await request.form()
        chosen = {
            k: [str(v) for v in form.getall(k)] for k in ("targeting.devices", "targeting.os") if k in form
        }
        body = offer_body(values, chosen, create=False)
        schedule, errors = schedule_body(values, ui)
        if errors:
            return await self._offer_page(
                ui, offer_id, values=values, chosen=chosen, status_code=422, errors=errors
            )
        if schedule is not None:
            body["targeting"]["schedule"] = schedule
        try:
            data = msgspec.convert(body, OfferUpdate, strict=False)
            await offers.update_offer(ui.require(), offer_id, data)
        except msgspec.ValidationError as exc:
            return await self._offer_page(
                ui, offer_id, values=values, chosen=chosen, status_code=422, errors=schema_errors(exc, ui)
            )
        except DomainError as exc:
            return await self._offer_page(
                ui,
                offer_id,
                values=values,
                chosen=chosen,
                status_code=exc.status,
                errors=form_errors(exc, ui),
            )
        return redirect(f"/ui/adv/offers/{offer_id}", done="adv_offer_saved")

    @post("/{offer_id:int}/status", status_code=200)
    async def move(self, request: AnyRequest, ui: UiDep, offer_id: IdPath) -> Response[Any]:
        """Submit for moderation (to pending), back to draft, pause or archive."""
        values = await read_form(request, ui)
        try:
            data = msgspec.convert(
                {"to": values.get("to", ""), "reason": values.get("reason", "")}, Transition
            )
            moved = await offers.transition(ui.require(), offer_id, data)
        except msgspec.ValidationError:
            return await self._offer_page(
                ui, offer_id, status_code=422, move_errors=FormErrors({}, [ui.t("err.invalid")])
            )
        except DomainError as exc:
            return await self._offer_page(
                ui, offer_id, status_code=exc.status, move_errors=form_errors(exc, ui)
            )
        done = "adv_offer_submitted" if moved.status == "pending" else "adv_offer_saved"
        return redirect(f"/ui/adv/offers/{offer_id}", done=done)
