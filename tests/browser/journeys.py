"""The steps the journeys share, each done in the browser as a person would: fields filled by their label,
buttons pressed; the visitor's click and the advertiser's postback are real HTTP requests to the server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from admin_ui.i18n import Formatter, Translator
from tests.browser.support import EN, NETWORK, Cabinet, Demo, Sessions, unique

STAFF = "staff@demo.example"
REFERRER = "wm1@demo.example"
ADVERTISERS = ("adv1@demo.example", "adv2@demo.example", "adv3@demo.example")
ZONE = ZoneInfo("Europe/Moscow")  # the demo network's time zone
LANGUAGES = {"en": "English", "ru": "Русский"}  # the language switch's links


@dataclass(frozen=True)
class Offer:
    id: int
    name: str
    advertiser: str  # the advertiser's e-mail
    country: str  # a country the offer targets, for the visitor's click


@dataclass
class Journey:
    """What a webmaster's journey made, for the tests to check."""

    wm: Cabinet
    name: str
    email: str
    webmaster_id: int
    offer: Offer
    t: Translator
    link: str = ""
    click_id: str = ""
    conversion: dict[str, Any] | None = None


_offers: dict[tuple[str, str], list[Offer]] = {}


def offer_with(demo: Demo, visibility: str, skip: int = 0) -> Offer:
    """A live demo offer of this visibility that a click from anywhere, at any hour, can reach."""
    if (demo.base_url, visibility) not in _offers:
        _offers[demo.base_url, visibility] = _live_offers(demo, visibility)
    return _offers[demo.base_url, visibility][skip]


def _live_offers(demo: Demo, visibility: str) -> list[Offer]:
    found = []
    for email in ADVERTISERS:
        listing = demo.get_json(email, "/api/v1/offers", visibility=visibility, status="active", limit=200)
        for item in listing["items"]:
            offer = demo.get_json(email, f"/api/v1/offers/{item['id']}")
            if offer["targeting"]["schedule"] is None:
                countries = offer["targeting"]["countries"] or ["US"]
                found.append(Offer(offer["id"], offer["name"], email, countries[0]))
    found.sort(key=lambda o: o.id)
    return found


def referral_code(demo: Demo, email: str = REFERRER) -> tuple[str, int]:
    me = demo.get_json(email, "/api/v1/me")
    return str(me["referral_code"]), int(me["webmaster_id"])


def row_with_id(cabinet: Cabinet, number: int) -> Any:
    """The table row whose first cell is this id (the webmaster's conversions table)."""
    page = cabinet.page
    return page.locator("tbody tr").filter(
        has=page.locator("td:first-child", has_text=re.compile(rf"^#?{number}$"))
    )


def referral_link(sessions: Sessions) -> str:
    """A demo webmaster's referral link, as their cabinet shows it (checked against the API's code)."""
    code, _ = referral_code(sessions.demo)
    referrer = sessions.login(REFERRER)
    referrer.goto("/ui/wm/referrals")
    link = referrer.page.locator("#referral-link").inner_text().strip()
    assert link == f"{referrer.base_url}/ui/signup?network={NETWORK}&ref={code}", link
    return link.removeprefix(referrer.base_url)


def sign_up(sessions: Sessions, locale: str = "en") -> Journey:
    """A visitor opens a referral link, (switches the language,) and signs up as a webmaster."""
    link = referral_link(sessions)
    code, _ = referral_code(sessions.demo)
    wm = sessions.anonymous()
    wm.goto(link)
    page = wm.page
    if locale != "en":
        wm.submit(page.get_by_role("link", name=LANGUAGES[locale]))
        assert page.locator("html").get_attribute("lang") == locale
        assert wm.path == link, wm.path  # back on the referral link, its query kept
    t = Translator(locale)
    assert page.get_by_label(t("field.network")).input_value() == NETWORK
    assert page.get_by_label(t("field.referral_code")).input_value() == code
    name, email = unique("Nova"), f"{unique('nova')}@example.com"
    page.get_by_label(t("field.name")).fill(name)
    page.get_by_label(t("field.email")).fill(email)
    page.get_by_label(t("field.password")).fill("a-long-enough-password")
    page.get_by_label(t("field.traffic_sources")).fill("context, social")
    wm.submit(page.get_by_role("button", name=t("signup.submit")))
    assert wm.path == "/ui/wm?done=signed_up", wm.path
    assert t("notice.signed_up") in wm.text("#main")
    webmaster_id = _my_webmaster_id(wm)
    return Journey(wm, name, email, webmaster_id, offer_with(sessions.demo, "approval_required"), t)


def referrer_sees(sessions: Sessions, journey: Journey) -> None:
    """The referrer's list of referred webmasters has the new one, now active."""
    referrer = sessions.login(REFERRER)
    referrer.goto("/ui/wm/referrals")
    row = referrer.page.locator("#referrals tbody tr").filter(has_text=journey.name)
    assert EN.label("wm.profile_status", "active") in row.inner_text()


def _my_webmaster_id(wm: Cabinet) -> int:
    """The new account's id, read from the API with the browser's own session cookie."""
    response = wm.page.request.get(wm.base_url + "/api/v1/me")
    assert response.status == 200, response.text()
    return int(response.json()["webmaster_id"])


def staff_approve(sessions: Sessions, journey: Journey, shots: bool = False) -> None:
    staff = sessions.login(STAFF)
    staff.goto("/ui/staff/moderation")
    item = staff.page.locator(f"#webmaster-{journey.webmaster_id}")
    assert journey.name in item.inner_text()
    _, referrer_id = referral_code(sessions.demo)
    assert EN("moderation.referred_by", id=referrer_id) in item.inner_text()
    if shots:
        item.scroll_into_view_if_needed()
        staff.shot("staff-moderation")
    item.get_by_label(EN("field.reason_text")).fill("Traffic sources checked")
    staff.submit(item.get_by_role("button", name=EN("moderation.approve")))
    assert EN("notice.webmaster_approved") in staff.text("#main")
    assert staff.page.locator(f"#webmaster-{journey.webmaster_id}").count() == 0


def request_access(journey: Journey, shots: bool = False) -> None:
    """Catalogue -> search -> the offer's page -> request access."""
    wm, t, offer = journey.wm, journey.t, journey.offer
    wm.goto("/ui/wm/offers")
    if shots:
        wm.shot("wm-catalogue")
    page = wm.page
    page.get_by_label(t("offers.search")).fill(offer.name)
    wm.submit(page.get_by_role("button", name=t("offers.filter")))
    wm.submit(page.get_by_role("link", name=offer.name, exact=True))
    assert wm.path == f"/ui/wm/offers/{offer.id}"
    page.get_by_label(t("offer.request_message")).fill("Context ads in DE, about 500 clicks a day")
    wm.submit(page.get_by_role("button", name=t("offer.request")))
    assert t("notice.requested") in wm.text("#main")
    assert t.label("access", "requested") in wm.text("#main")


def advertiser_approve(sessions: Sessions, journey: Journey, shots: bool = False) -> None:
    adv = sessions.login(journey.offer.advertiser)
    adv.goto("/ui/adv/access")
    key = f"{journey.offer.id}-{journey.webmaster_id}"
    item = adv.page.locator(f"#request-{key}")
    assert journey.name in item.inner_text() and journey.offer.name in item.inner_text()
    if shots:
        item.scroll_into_view_if_needed()
        adv.shot("adv-access")
    adv.submit(item.get_by_role("button", name=EN("adv.access.approve")))
    assert adv.page.locator(f"#request-{key}").count() == 0
    journey.wm.goto(f"/ui/wm/offers/{journey.offer.id}")
    assert journey.t.label("access", "approved") in journey.wm.text("#main")


def build_link(journey: Journey, shots: bool = False) -> str:
    """The link builder: a sub id, then the link it builds, read from the page."""
    wm, t = journey.wm, journey.t
    wm.goto(f"/ui/wm/offers/{journey.offer.id}/links")
    page = wm.page
    page.get_by_label(t("wm.links.sub", n=1), exact=True).fill("browser")
    wm.submit(page.get_by_role("button", name=t("wm.links.submit")))
    built = page.locator("#link-cpanet")
    link = built.inner_text().strip()
    assert link.startswith(f"{wm.base_url}/"), link
    assert "sub1=browser" in link, link
    if shots:
        page.locator("#links").scroll_into_view_if_needed()
        wm.shot("wm-link-builder")
    journey.link = link
    return link


def convert(demo: Demo, journey: Journey) -> dict[str, Any]:
    """A visitor clicks the link, then the advertiser's server reports the lead."""
    journey.click_id = demo.click(journey.link, journey.offer.country)
    answer = demo.postback(journey.offer.advertiser, click_id=journey.click_id, order_id=unique("order"))
    assert answer["click_id"] == journey.click_id and answer["offer_id"] == journey.offer.id
    journey.conversion = answer
    return answer


def moment(value: str, locale: str) -> str:
    return Formatter(locale, ZONE).moment(datetime.fromisoformat(value.replace("Z", "+00:00")))


def sees_conversion(journey: Journey, shots: bool = False) -> None:
    wm, t, answer = journey.wm, journey.t, journey.conversion
    assert answer is not None
    wm.goto("/ui/wm/conversions")
    row = row_with_id(wm, answer["conversion_id"])
    text = row.inner_text()
    assert t.label("status", answer["status"]) in text, text
    assert answer["status"] == "hold" and answer["hold_until"], answer
    assert moment(answer["hold_until"], t.locale) in text, text
    assert Formatter(t.locale).money(answer["payout"], answer["currency"]) in text, text
    if shots:
        wm.shot("wm-conversions")


def sees_balance(journey: Journey, shots: bool = False) -> None:
    wm, t, answer = journey.wm, journey.t, journey.conversion
    assert answer is not None
    wm.goto("/ui/wm/balance")
    on_hold = wm.page.locator("dl div").filter(has=wm.page.locator("dt", has_text=t("balance.pending")))
    money = Formatter(t.locale).money
    assert on_hold.locator("dd").inner_text() == money(answer["payout"], answer["currency"])
    ledger = wm.text("#ledger-title + .table-wrap")
    assert t("ledger.conversion", id=answer["conversion_id"]) in ledger, ledger
    if shots:
        wm.shot("wm-balance")


def staff_reject(sessions: Sessions, conversion: int, reason: str, comment: str, shots: bool = False) -> None:
    """Staff reject a held conversion from their queue, with a reason code and words."""
    staff = sessions.login(STAFF)
    staff.goto("/ui/staff/conversions?status=hold")
    row = staff.page.locator(f"#conversion-{conversion}")
    assert row.count() == 1
    row.locator("select[name=reason]").select_option(reason)
    row.locator("textarea[name=comment]").fill(comment)
    row.scroll_into_view_if_needed()
    if shots:
        staff.shot("staff-conversions")
    staff.submit(row.locator("button[name=to][value=rejected]"))
    assert staff.page.locator(f"#conversion-{conversion}").count() == 0


def sees_rejection(journey: Journey, reason: str, comment: str) -> None:
    """The webmaster sees the reason code and the words, and the rejection taking the money back."""
    wm, t, answer = journey.wm, journey.t, journey.conversion
    assert answer is not None
    conversion = answer["conversion_id"]
    wm.goto("/ui/wm/conversions?status=rejected")
    seen = row_with_id(wm, conversion).inner_text()
    assert t.label("status", "rejected") in seen, seen
    assert t.label("reason", reason) in seen and reason in seen, seen
    assert comment in seen, seen
    # The ledger: the conversion was recorded on hold, then taken back.
    wm.goto("/ui/wm/balance")
    lines = wm.page.locator("#ledger-title + .table-wrap tbody tr").filter(
        has_text=t("ledger.conversion", id=conversion)
    )
    kinds = [lines.nth(i).locator("td").nth(1).inner_text() for i in range(lines.count())]
    assert t.label("ledger_kind", "conversion_rejected") in kinds, kinds
    assert t.label("ledger_kind", "conversion") in kinds, kinds
    taken_back = lines.filter(has_text=t.label("ledger_kind", "conversion_rejected"))
    money = Formatter(t.locale).money
    assert taken_back.locator("td.num").inner_text() == money(f"-{answer['payout']}", answer["currency"])
