"""The advertiser's postback instructions: their postback tokens (network/conversions/service.py
credentials; a new token is shown once), ready-to-copy URLs in each dialect cpanet understands
(docs/postbacks.md), a test postback sent through the same intake as /postback, and the log of refused
postbacks with their reason codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from admin_ui.errors import form_errors
from admin_ui.forms import FormErrors, invalid_input
from admin_ui.pages.params import Code, IdPath, Offset
from admin_ui.render import notice, redirect, render
from admin_ui.session import ADVERTISER, UiContext, access, read_form
from admin_ui.views import pager
from network.conversions import intake
from network.conversions import service as conversions
from network.conversions.schemas import CredentialIn, CredentialOut
from network.errors import DomainError
from network.http.client import client_ip
from network.offers import service as offers

UiDep = NamedDependency[UiContext]
AnyRequest = Request[Any, Any, Any]
PAGE = 20
TEST_FIELDS = ("token", "click_id", "order_id", "goal", "sale_amount", "status")
TEST_STATUSES = ("", "approved", "pending", "hold", "rejected")
# In the examples, for a token that is not shown (only its prefix is stored).
PLACEHOLDER = "pbk_…"


@dataclass(frozen=True)
class Example:
    """One dialect's postback address, ready to paste into the advertiser's tracker."""

    key: str
    name: str
    url: str


@dataclass(frozen=True)
class Refusal:
    """A refused postback as the log shows it."""

    at: datetime
    dialect: str
    reason: str
    reason_label: str
    message: str
    http_status: int
    click_id: str
    params: str


# The trackers' own names (cpanet's form and the pixel are named in the reader's language).
DIALECTS = {
    "tune": "TUNE / HasOffers (aff_lsr)",
    "everflow": "Everflow",
    "voluum": "Voluum / BeMob",
    "redtrack": "RedTrack",
    "affise": "Affise (secure)",
}


def examples(ui: UiContext, base: str, token: str, goal: str) -> list[Example]:
    """The address in each dialect (docs/postbacks.md); the braces are the tracker's own macros."""
    urls = [
        (
            "cpanet",
            f"{base}/postback?token={token}&click_id={{clickid}}&order_id={{order}}"
            f"&sale_amount={{sum}}&goal={goal}&status=approved",
        ),
        (
            "tune",
            f"{base}/aff_lsr?security_token={token}&transaction_id={{transaction_id}}"
            "&adv_sub={order}&amount={amount}",
        ),
        (
            "everflow",
            f"{base}/postback?verification_token={token}&transaction_id={{tid}}"
            "&order_id={oid}&amount={amt}&adv1={x}",
        ),
        (
            "voluum",
            f"{base}/postback?token={token}&cid={{cid}}&txid={{txid}}&payout={{payout}}&status=approved",
        ),
        ("redtrack", f"{base}/postback?token={token}&clickid={{clickid}}&type={goal}&status=approved"),
        (
            "affise",
            f"{base}/postback?secure={token}&clickid={{clickid}}&action_id={{action_id}}&goal={goal}&status=1",
        ),
        (
            "pixel",
            f'<img src="{base}/pixel.gif?token={token}&amp;order_id=ORDER&amp;sale_amount=AMOUNT"'
            ' width="1" height="1" alt="">',
        ),
    ]
    names = {**DIALECTS, "cpanet": ui.t("adv.postbacks.own_form"), "pixel": ui.t("adv.postbacks.pixel")}
    return [Example(key, names[key], url) for key, url in urls]


def _reason_label(ui: UiContext, code: str) -> str:
    key = f"adv.pb_reason.{code}"
    return ui.t(key) if ui.t.has(key) else ui.t.label("reason", code)


class AdvertiserPostbackPages(Controller):
    path = "/adv/postbacks"
    opt = access(ADVERTISER)

    async def _page(
        self,
        ui: UiContext,
        *,
        status_code: int = 200,
        errors: FormErrors | None = None,
        failed: str | None = None,
        values: dict[str, str] | None = None,
        created: CredentialOut | None = None,
        answer: intake.Answer | None = None,
        offset: int = 0,
        done: str | None = None,
    ) -> Template:
        principal = ui.require()
        assert principal.advertiser_id is not None
        credentials = await conversions.list_credentials(principal, principal.advertiser_id)
        active = [c for c in credentials if c.revoked_at is None]
        mine = await offers.list_offers(
            principal, status=None, visibility=None, category=None, search=None, limit=1, offset=0
        )
        goal = "lead"
        if mine.items:
            goals = (await offers.get_offer(principal, mine.items[0].id)).goals
            goal = goals[0].key if goals else goal
        host = ui.network.tracking_host if ui.network else "track.example"
        token = PLACEHOLDER
        if created is not None and created.token:
            token = created.token
        elif active:
            token = f"pbk_{active[-1].token_prefix}_…"
        else:
            token = PLACEHOLDER
        log = await conversions.postback_log(principal, decision="rejected", limit=PAGE, offset=offset)
        refusals = [
            Refusal(
                at=r.received_at,
                dialect=r.dialect,
                reason=r.reason,
                reason_label=_reason_label(ui, r.reason),
                message=r.message,
                http_status=r.http_status,
                click_id=r.click_id,
                params="&".join(f"{k}={v}" for k, v in r.params.items()),
            )
            for r in log.items
        ]
        shown = values or {}
        if created is not None and created.token and "token" not in shown:
            shown = {**shown, "token": created.token}
        return render(
            ui,
            "adv/postbacks.html",
            status_code=status_code,
            errors=errors,
            values=shown,
            failed=failed,
            credentials=credentials,
            active=active,
            created=created,
            examples=examples(ui, f"https://{host}", token, goal),
            answer=answer,
            answer_reason=_reason_label(ui, answer.reason) if answer and answer.reason else "",
            refusals=refusals,
            notice=notice(ui, done),
            log_pager=pager(log.total, PAGE, offset, "/ui/adv/postbacks", {}),
            status_options=[
                (s, ui.t.label("status", s) if s else ui.t("adv.postbacks.no_status")) for s in TEST_STATUSES
            ],
        )

    @get("/")
    async def instructions(self, ui: UiDep, offset: Offset = 0, done: Code = None) -> Template:
        """Tokens, example addresses per dialect, the test form and the refused postbacks."""
        return await self._page(ui, offset=offset, done=done)

    @post("/credentials", status_code=200)
    async def create_credential(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        """A new token (and HMAC secret if asked), shown on the page that answers: it is never shown again."""
        values = await read_form(request, ui)
        principal = ui.require()
        assert principal.advertiser_id is not None
        shown = {"ip_allowlist": values.get("ip_allowlist", "")}
        allowlist = [p.strip() for p in shown["ip_allowlist"].replace("\n", ",").split(",") if p.strip()]
        body = {"ip_allowlist": allowlist, "hmac": values.get("hmac") == "on"}
        body["require_hmac"] = values.get("require_hmac") == "on"
        try:
            data = msgspec.convert(body, CredentialIn)
            created = await conversions.create_credential(principal, principal.advertiser_id, data)
        except msgspec.ValidationError as exc:
            return await self._page(
                ui, status_code=422, failed="credential", errors=invalid_input(exc, ui), values=shown
            )
        except DomainError as exc:
            errors = form_errors(exc, ui)
            if exc.detail.startswith("ip_allowlist"):
                errors = FormErrors({"ip_allowlist": ui.t("adv.postbacks.bad_ip")}, [])
            elif exc.detail.startswith("require_hmac"):
                errors = FormErrors({"require_hmac": ui.t("adv.postbacks.hmac_needed")}, [])
            return await self._page(
                ui, status_code=exc.status, failed="credential", errors=errors, values=shown
            )
        return await self._page(ui, created=created)

    @post("/credentials/{credential_id:int}/revoke", status_code=200)
    async def revoke_credential(self, request: AnyRequest, ui: UiDep, credential_id: IdPath) -> Response[Any]:
        await read_form(request, ui)
        principal = ui.require()
        assert principal.advertiser_id is not None
        try:
            await conversions.revoke_credential(principal, principal.advertiser_id, credential_id)
        except DomainError as exc:
            return await self._page(ui, status_code=exc.status, failed="revoke", errors=form_errors(exc, ui))
        return redirect("/ui/adv/postbacks", done="adv_token_revoked")

    @post("/test", status_code=200)
    async def test_postback(self, request: AnyRequest, ui: UiDep) -> Response[Any]:
        """A postback sent through the same intake as GET /postback: the page shows its answer."""
        values = await read_form(request, ui)
        shown = {k: values.get(k, "") for k in TEST_FIELDS}
        missing = {k: ui.t("err.required") for k in ("token", "click_id") if not shown[k]}
        if missing:
            return await self._page(
                ui, status_code=422, failed="test", errors=FormErrors(missing, []), values=shown
            )
        params = {k: v for k, v in shown.items() if v}
        answer = await intake.receive(
            intake.Received(
                path="/postback", params=params, ip=client_ip(request), visitor_id="", at=datetime.now(UTC)
            )
        )
        return await self._page(ui, values=shown, answer=answer)
