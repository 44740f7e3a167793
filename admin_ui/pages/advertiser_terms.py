"""The advertiser's terms editor: the versions of an offer's terms, and a form to validate, dry-run,
backtest and publish a new version, with the same services as the API (network/terms/service.py and
tools.py), and the diff of two versions. Rule text is read with exact numbers (rules.parse_rule), as the
API's controller reads its body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, invalid_input
from admin_ui.pages.params import Code, IdPath
from admin_ui.render import notice, redirect, render
from admin_ui.session import ADVERTISER, UiContext, access, read_form
from network.errors import DomainError
from network.offers import access as offer_access
from network.offers import service as offers
from network.offers.schemas import OfferOut
from network.terms import service as terms
from network.terms import tools
from network.terms.schemas import (
    BacktestIn,
    DryRunIn,
    RuleChangeOut,
    TermsCreate,
    TermsRules,
    TermsVersionOut,
)
from network.types import MAX_ID
from rules import RuleError, RuleValidationError, canonical_json, parse_rule

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
RULES = ("payout", "revenue", "hold_days", "status")
ACTIONS = ("validate", "dry_run", "backtest", "publish")
# What the form holds besides the rules.
OTHER_FIELDS = ("effective_from", "note", "context", "samples", "date_from", "date_to", "webmaster_id")
# Webmasters a private deal may be made for: those who joined the offer (shown in the "applies to" list).
DEAL_WEBMASTERS = 500
# Rule nodes up to this many characters stay on one line in the editor.
INLINE = 60
# Whether the backtest service can replay the offer's real conversions over a date range.
BACKTEST_BY_DATES = "date_from" in BacktestIn.__struct_fields__
FromVersion = Annotated[int | None, QueryParameter(name="from", ge=1, le=MAX_ID)]
ToVersion = Annotated[int | None, QueryParameter(name="to", ge=1, le=MAX_ID)]


@dataclass(frozen=True)
class Problem:
    """An engine problem, as a reader sees it: where (the JSON pointer) and what."""

    field: str
    pointer: str
    message: str
    detail: str


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{canonical_json(k)}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return canonical_json(value)


def pretty(value: Any, depth: int = 0) -> str:
    """A rule as readable JSON: small nodes on one line, larger ones one entry a line, numbers exact."""
    flat = _inline(value)
    if len(flat) <= INLINE or not isinstance(value, dict | list) or not value:
        return flat
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{canonical_json(k)}: {pretty(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    return "[\n" + ",\n".join(f"{inner}{pretty(v, depth + 1)}" for v in value) + "\n" + pad + "]"


def _rule_text(raw: msgspec.Raw | None) -> str:
    return "null" if raw is None else pretty(parse_rule(bytes(raw)))


@dataclass(frozen=True)
class Change:
    """One changed node: which rule, where in it, and its JSON before and after (None: added or removed)."""

    rule: str
    pointer: str
    before: str | None
    after: str | None


def _change(change: RuleChangeOut) -> Change:
    return Change(
        rule=change.pointer.split("/")[1],
        pointer=change.pointer,
        before=None if change.before is None else _rule_text(change.before),
        after=None if change.after is None else _rule_text(change.after),
    )


def _example_context(offer: OfferOut) -> dict[str, Any]:
    goal = offer.goals[0].key if offer.goals else "lead"
    return {
        "goal": goal,
        "webmaster": {"id": 1007, "groups": []},
        "click": {"country": "DE", "device": "mobile", "os": "Android", "sub1": "s1"},
        "conversion": {
            "sale_amount": 120,
            "currency": offer.currency,
            "order_id": "A-10023",
            "ctct_seconds": 5400,
            "count_this_month": 0,
        },
    }


def _defaults(offer: OfferOut, versions: list[TermsVersionOut]) -> dict[str, str]:
    """The form prefilled from the offer-wide version in force (else a first version to edit)."""
    current = next((v for v in versions if v.state == "in_force" and v.scope == "offer"), None)
    values = {name: _rule_text(current.rules.get(name)) if current else "" for name in RULES}
    if current is None:
        values.update(payout="10", revenue="15", hold_days="0", status="null")
    context = _example_context(offer)
    other = dict(context, webmaster={"id": 1008, "groups": []}, goal=context["goal"])
    values["context"] = json.dumps(context, indent=2)
    values["samples"] = json.dumps([context, other], indent=2)
    values.update(effective_from="", note="", date_from="", date_to="", webmaster_id="")
    return values


def _problems(ui: UiContext, found: list[Any]) -> tuple[FormErrors, list[Problem]]:
    """Engine problems next to the rule they are in (the pointer's first token), with their pointers."""
    problems = []
    for p in found:
        pointer = str(p["pointer"] if isinstance(p, dict) else p.pointer)
        code = str(p["code"] if isinstance(p, dict) else p.code)
        detail = str(p["message"] if isinstance(p, dict) else p.message)
        head = pointer.split("/")[1] if pointer.startswith("/") else ""
        key = f"adv.rule_problem.{code}"
        message = ui.t(key) if ui.t.has(key) else ui.t("adv.rule_problem.other")
        problems.append(Problem(head if head in RULES else "", pointer or "/", message, detail))
    errors = FormErrors({}, [])
    for p in problems:
        if p.field:
            line = f"{p.pointer}: {p.message}"
            errors.fields[p.field] = (
                f"{errors.fields[p.field]} · {line}" if p.field in errors.fields else line
            )
        else:
            errors.form.append(f"{p.pointer}: {p.message}")
    return errors, problems


def _parse(
    ui: UiContext, values: dict[str, str], names: tuple[str, ...]
) -> tuple[dict[str, Any], FormErrors]:
    """Each JSON textarea read with exact numbers; what is not JSON is named next to its field."""
    out: dict[str, Any] = {}
    errors = FormErrors({}, [])
    for name in names:
        text = values.get(name, "")
        if not text:
            if name in {"payout", "revenue", "context"}:
                errors.fields[name] = ui.t("err.required")
            continue
        try:
            out[name] = parse_rule(text)
        except RuleValidationError:
            errors.fields[name] = ui.t("adv.terms.not_json")
    return out, errors


def _moment(ui: UiContext, text: str) -> datetime | None:
    """A datetime-local value, in the network's time zone."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ui.fmt.zone)


class AdvertiserTermsPages(Controller):
    path = "/adv/offers/{offer_id:int}/terms"
    opt = access(ADVERTISER)

    async def _page(
        self,
        ui: UiContext,
        offer_id: int,
        *,
        status_code: int = 200,
        errors: FormErrors | None = None,
        values: dict[str, str] | None = None,
        done: str | None = None,
        **results: Any,
    ) -> Template:
        principal = ui.require()
        offer = await offers.get_offer(principal, offer_id)
        versions = await terms.list_versions(principal, offer_id)
        ordered = sorted(versions, key=lambda v: v.number)
        previous = {v.id: ordered[i - 1].id for i, v in enumerate(ordered) if i > 0}
        joined = await offer_access.list_for_offer(principal, offer_id, "approved", DEAL_WEBMASTERS, 0)
        audience = [("", ui.t("adv.terms.scope_everyone"))] + [
            (str(a.webmaster_id), ui.t("adv.terms.scope_webmaster", id=a.webmaster_id)) for a in joined.items
        ]
        return render(
            ui,
            "adv/terms.html",
            status_code=status_code,
            audience=audience,
            errors=errors,
            values=values or _defaults(offer, versions),
            offer=offer,
            versions=sorted(versions, key=lambda v: v.number, reverse=True),
            previous=previous,
            by_dates=BACKTEST_BY_DATES,
            notice=notice(ui, done),
            problems=results.pop("problems", []),
            validated=results.pop("validated", False),
            dry_run=results.pop("dry_run", None),
            backtest=results.pop("backtest", None),
        )

    @get("/")
    async def editor(self, ui: UiDep, offer_id: IdPath, done: Code = None) -> Template:
        """The versions (in force, upcoming, superseded) and the editor prefilled with the terms in force."""
        return await self._page(ui, offer_id, done=done)

    @post("/", status_code=200)
    async def act(self, request: AnyRequest, ui: UiDep, offer_id: IdPath) -> Response[Any]:
        values = await read_form(request, ui)
        action = values.get("action", "")
        shown = {k: values.get(k, "") for k in (*RULES, *OTHER_FIELDS)}
        principal = ui.require()

        async def again(status_code: int, errors: FormErrors, **results: Any) -> Template:
            return await self._page(
                ui, offer_id, status_code=status_code, errors=errors, values=shown, **results
            )

        if action not in ACTIONS:
            return await again(422, FormErrors({}, [ui.t("err.invalid")]))
        extra = {"dry_run": ("context",), "backtest": ("samples",)}.get(action, ())
        parsed, errors = _parse(ui, shown, (*RULES, *extra))
        if errors:
            return await again(422, errors)
        rules = TermsRules(
            payout=parsed["payout"],
            revenue=parsed["revenue"],
            hold_days=parsed.get("hold_days", 0),
            status=parsed.get("status"),
        )
        try:
            if action == "validate":
                offer = await offers.get_offer(principal, offer_id)
                checked = terms.validate(rules, offer.currency)
                if not checked.valid:
                    found, problems = _problems(ui, list(checked.problems))
                    return await again(422, found, problems=problems)
                return await again(200, FormErrors.empty(), validated=True)
            if action == "dry_run":
                if not isinstance(parsed["context"], dict):
                    return await again(422, FormErrors({"context": ui.t("adv.terms.context_object")}, []))
                result = await tools.dry_run(
                    principal, offer_id, DryRunIn(context=parsed["context"], rules=rules)
                )
                return await again(200, FormErrors.empty(), dry_run=result)
            if action == "backtest":
                body: dict[str, Any] = {"draft": msgspec.to_builtins(rules)}
                if "samples" in parsed:
                    body["samples"] = parsed["samples"]
                elif BACKTEST_BY_DATES and (shown["date_from"] or shown["date_to"]):
                    body.update(date_from=shown["date_from"] or None, date_to=shown["date_to"] or None)
                else:
                    return await again(422, FormErrors({"samples": ui.t("err.required")}, []))
                data = msgspec.convert(body, BacktestIn)
                data = msgspec.structs.replace(data, draft=rules, samples=body.get("samples"))
                report = await tools.backtest_offer(principal, offer_id, data)
                return await again(200, FormErrors.empty(), backtest=report)
            try:
                effective = _moment(ui, shown["effective_from"]) if shown["effective_from"] else None
            except ValueError:
                return await again(422, FormErrors({"effective_from": ui.t("err.invalid_value")}, []))
            deal = shown["webmaster_id"]
            if deal and not deal.isdigit():
                return await again(422, FormErrors({"webmaster_id": ui.t("err.invalid_value")}, []))
            created = TermsCreate(
                rules=rules,
                effective_from=effective,
                note=shown["note"],
                webmaster_id=int(deal) if deal else None,
            )
            created = msgspec.convert(msgspec.to_builtins(created), TermsCreate)
            created = msgspec.structs.replace(created, rules=rules)
            await terms.publish(principal, offer_id, created)
        except msgspec.ValidationError as exc:
            return await again(422, invalid_input(exc, ui))
        except RuleError as exc:
            return await again(422, FormErrors({}, [f"{ui.t('adv.terms.evaluation_failed')} ({exc})"]))
        except DomainError as exc:
            if "problems" in exc.extra:
                found, problems = _problems(ui, list(exc.extra["problems"]))
                return await again(exc.status, found, problems=problems)
            if exc.extra.get("field") == "effective_from" and "past" in exc.detail:
                return await again(exc.status, FormErrors({"effective_from": ui.t("adv.terms.past")}, []))
            return await again(exc.status, form_errors(exc, ui))
        return redirect(f"/ui/adv/offers/{offer_id}/terms", done="adv_terms_published")

    @get("/diff")
    async def diff(
        self,
        ui: UiDep,
        offer_id: IdPath,
        from_version: FromVersion = None,
        to_version: ToVersion = None,
    ) -> Template:
        """What changed between two versions, rule by rule (JSON pointer, before, after)."""
        principal = ui.require()
        offer = await offers.get_offer(principal, offer_id)
        versions = sorted(await terms.list_versions(principal, offer_id), key=lambda v: v.number)
        changes = None
        if from_version and to_version:
            changes = await tools.diff(principal, offer_id, from_version, to_version)
        numbers = {v.id: v.number for v in versions}
        return render(
            ui,
            "adv/terms_diff.html",
            offer=offer,
            versions=versions,
            numbers=numbers,
            chosen={"from": from_version or 0, "to": to_version or 0},
            version_options=[(v.id, ui.t("adv.terms.version_no", number=v.number)) for v in versions],
            changes=[_change(c) for c in changes.changes] if changes else None,
        )
