"""The webmaster's offers (those they have joined) and the link builder: a tracking link with sub ids and a
landing page, in cpanet's form and the TUNE, Affise and CAKE alias forms (``POST /api/v1/offers/{id}/links``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.response import Template

from admin_ui.forms import FormErrors, invalid_input
from admin_ui.pages.params import IdPath, Offset
from admin_ui.pages.webmaster_common import PAGE, AnyRequest, UiDep, problem
from admin_ui.render import render
from admin_ui.session import WEBMASTER, UiContext, access, read_form
from admin_ui.views import pager
from network.errors import DomainError, NotFoundError
from network.http.deps import SettingsDep
from network.offers import access as offer_access
from network.offers import service as offers
from network.offers.schemas import OfferOut
from network.tracking import service as tracking
from network.tracking.schemas import LinkRequest, TrackingLinks

SUBS = tuple(f"sub{i}" for i in range(1, 11))
# Shown at once; the rest wait in a collapsed section.
FIRST_SUBS = SUBS[:5]
FIELDS = ("landing_id", *SUBS, "source")
DIALECTS = ("cpanet", "tune", "affise", "cake")


async def _builder(
    ui: UiContext,
    offer_id: int,
    *,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    links: TrackingLinks | None = None,
) -> Template:
    offer = await offers.get_offer(ui.require(), offer_id)
    default = next((lp for lp in offer.landings if lp.is_default), None)
    chosen = (values or {}).get("landing_id") or (str(default.id) if default else "")
    forms = [(name, getattr(links, name)) for name in DIALECTS] if links else []
    return render(
        ui,
        "wm/links.html",
        status_code=status_code,
        errors=errors,
        values={**(values or {}), "landing_id": chosen},
        offer=offer,
        landing_options=[
            (
                str(lp.id),
                ui.t(
                    "wm.links.landing_default" if lp.is_default else "wm.links.landing_option",
                    name=lp.name,
                    id=lp.id,
                ),
            )
            for lp in offer.landings
        ],
        first_subs=FIRST_SUBS,
        more_subs=SUBS[len(FIRST_SUBS) :],
        more_open=any((values or {}).get(s) for s in SUBS[len(FIRST_SUBS) :]),
        links=forms,
        dropped=any(form.dropped for _, form in forms),
    )


class WebmasterLinkPages(Controller):
    path = "/wm"
    opt = access(WEBMASTER)

    @get("/my-offers")
    async def my_offers(self, ui: UiDep, offset: Offset = 0) -> Template:
        """The offers this webmaster has joined, each with its link builder."""
        principal = ui.require()
        joined = [a for a in await offer_access.list_mine(principal) if a.status == "approved"]
        joined.sort(key=lambda a: a.updated_at, reverse=True)
        shown: list[OfferOut] = []
        for grant in joined[offset : offset + PAGE]:
            try:
                shown.append(await offers.get_offer(principal, grant.offer_id))
            except NotFoundError:
                continue  # gone from the webmaster's sight since (archived)
        return render(
            ui,
            "wm/my_offers.html",
            offers=shown,
            pager=pager(len(joined), PAGE, offset, "/ui/wm/my-offers", {}),
        )

    @get("/offers/{offer_id:int}/links")
    async def link_builder(self, ui: UiDep, offer_id: IdPath) -> Template:
        """The form: landing page, sub1..sub10 and source."""
        return await _builder(ui, offer_id)

    @post("/offers/{offer_id:int}/links", status_code=200)
    async def build(
        self, request: AnyRequest, ui: UiDep, offer_id: IdPath, settings: SettingsDep
    ) -> Response[Any]:
        """The links in every form the service returns. Nothing is stored, so the page answers at once."""
        values = await read_form(request, ui)
        shown = {k: values.get(k, "") for k in FIELDS}
        data = {k: v for k, v in shown.items() if v}
        try:
            link_request = msgspec.convert(data, LinkRequest, strict=False)
            links = await tracking.create_links(
                ui.require(), offer_id, link_request, settings.http.public_base_url
            )
        except msgspec.ValidationError as exc:
            return await _builder(ui, offer_id, status_code=422, errors=invalid_input(exc, ui), values=shown)
        except DomainError as exc:
            return await _builder(ui, offer_id, status_code=exc.status, errors=problem(exc, ui), values=shown)
        return await _builder(ui, offer_id, values=shown, links=links)
