"""Tracking links in cpanet's own form and in the TUNE, Affise and CAKE alias forms users already have.

The click endpoints that serve these links belong to the click pipeline; CONVENTIONS.md gives the shapes.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from network.errors import ConflictError, NotFoundError
from network.offers import repository as offers
from network.offers.service import load_visible
from network.principal import Principal
from network.tenants import repository as tenants
from network.tracking.schemas import LinkForm, LinkRequest, TrackingLinks

# How many sub ids each dialect carries, and under which parameter names.
TUNE_SUBS = {1: "aff_sub", 2: "aff_sub2", 3: "aff_sub3", 4: "aff_sub4", 5: "aff_sub5"}
AFFISE_SUBS = {i: f"sub{i}" for i in range(1, 9)}
CAKE_SUBS = {i: f"s{i}" for i in range(1, 6)}


def _form(
    base: str,
    path: str,
    fixed: list[tuple[str, str]],
    subs: dict[int, str],
    names: dict[int, str],
    source: str | None,
    source_param: str | None,
) -> LinkForm:
    params = list(fixed)
    params += [(names[i], v) for i, v in sorted(subs.items()) if i in names]
    if source and source_param:
        params.append((source_param, source))
    dropped = [f"sub{i}" for i in sorted(subs) if i not in names]
    if source and not source_param:
        dropped.append("source")
    return LinkForm(url=f"{base}{path}?{urlencode(params)}", dropped=dropped)


def build_links(
    base: str, offer_id: int, webmaster_id: int, landing_id: int, req: LinkRequest
) -> TrackingLinks:
    subs = req.subs()
    own_subs = {i: f"sub{i}" for i in range(1, 11)}
    return TrackingLinks(
        offer_id=offer_id,
        webmaster_id=webmaster_id,
        landing_id=landing_id,
        cpanet=_form(
            base,
            f"/c/{offer_id}",
            [("wm", str(webmaster_id)), ("l", str(landing_id))],
            subs,
            own_subs,
            req.source,
            "source",
        ),
        tune=_form(
            base,
            "/aff_c",
            [("offer_id", str(offer_id)), ("aff_id", str(webmaster_id)), ("url_id", str(landing_id))],
            subs,
            TUNE_SUBS,
            req.source,
            "source",
        ),
        affise=_form(
            base,
            "/click",
            [("pid", str(webmaster_id)), ("offer_id", str(offer_id)), ("l", str(landing_id))],
            subs,
            AFFISE_SUBS,
            req.source,
            None,
        ),
        # CAKE links name a creative rather than an offer; a landing page id is unique network-wide.
        cake=_form(
            base, "/", [("a", str(webmaster_id)), ("c", str(landing_id))], subs, CAKE_SUBS, req.source, None
        ),
    )


async def create_links(
    principal: Principal, offer_id: int, req: LinkRequest, public_base_url: str
) -> TrackingLinks:
    assert principal.webmaster_id is not None
    offer, access = await load_visible(principal, offer_id)
    if access != "approved":
        raise ConflictError("join this offer first: links are issued once your access is approved")
    if offer["status"] != "active":
        raise ConflictError("this offer is not active; links would send traffic to trafficback")
    kids = await offers.children(tenant_id=principal.network_id, offer_id=offer_id)
    landings = kids["landing"]
    if req.landing_id is None:
        landing = next((lp for lp in landings if lp["is_default"]), landings[0] if landings else None)
    else:
        landing = next((lp for lp in landings if lp["id"] == req.landing_id), None)
    if landing is None:
        raise NotFoundError("landing page not found on this offer")
    network = await tenants.get(tenant_id=principal.network_id)
    assert network is not None
    scheme = urlsplit(public_base_url).scheme or "https"
    base = f"{scheme}://{network['tracking_host']}"
    return build_links(base, offer_id, principal.webmaster_id, int(landing["id"]), req)
