"""Journeys 1 and 4: a webmaster signs up through a referral link, is approved by staff, is let into an
approval-required offer by its advertiser, builds a link, gets a click and a postback, and sees the
conversion with its hold-until date and the balance; then the same, and a staff rejection (journey 3), in
Russian, with no English left."""

from __future__ import annotations

import pytest

from tests.browser import journeys
from tests.browser.support import PHONE, RU, Demo, Sessions, english_left, offer_data

pytestmark = pytest.mark.browser


def test_referral_signup_to_a_conversion_and_the_balance(demo: Demo, sessions: Sessions) -> None:
    journey = journeys.sign_up(sessions)
    journeys.staff_approve(sessions, journey, shots=True)
    journeys.request_access(journey, shots=True)
    journey.wm.shot("wm-offer")
    journeys.advertiser_approve(sessions, journey, shots=True)
    journeys.build_link(journey, shots=True)
    journeys.convert(demo, journey)
    journeys.sees_conversion(journey, shots=True)
    journeys.sees_balance(journey, shots=True)
    journeys.referrer_sees(sessions, journey)
    journey.wm.goto("/ui/wm")
    journey.wm.shot("wm-dashboard")
    # The same cabinet on a phone.
    phone = sessions.login(journeys.REFERRER, viewport=PHONE)
    phone.goto("/ui/wm")
    phone.shot("phone-wm-dashboard")


def test_the_same_journey_in_russian_has_no_english_left(demo: Demo, sessions: Sessions) -> None:
    journey = journeys.sign_up(sessions, locale="ru")
    journeys.staff_approve(sessions, journey)
    journeys.request_access(journey)
    journeys.advertiser_approve(sessions, journey)
    journeys.build_link(journey)
    journeys.convert(demo, journey)
    journeys.sees_conversion(journey)
    journeys.sees_balance(journey)
    # Journey 3 in Russian: staff reject the conversion, the webmaster reads why.
    assert journey.conversion is not None
    comment = "Заказ повторяет уже оплаченный"
    journeys.staff_reject(sessions, journey.conversion["conversion_id"], "duplicate_order", comment)
    journeys.sees_rejection(journey, "duplicate_order", comment)
    data = offer_data(demo, [journey.offer.id]) | {journey.name, "Demo CPA Network"}
    wm = journey.wm
    offer = journey.offer.id
    pages = ["/ui/wm", "/ui/wm/offers", f"/ui/wm/offers/{offer}", f"/ui/wm/offers/{offer}/links"]
    pages += ["/ui/wm/conversions", "/ui/wm/conversions?status=rejected", "/ui/wm/balance"]
    for path in pages:
        wm.goto(path)
        assert wm.page.locator("html").get_attribute("lang") == "ru", path
        assert english_left(wm.text(), data) == [], path
        if path == "/ui/wm":
            wm.shot("ru-wm-dashboard")
    # The check does see English: the same cabinet in English fails it.
    english = sessions.login(journeys.REFERRER)
    english.goto("/ui/wm")
    assert len(english_left(english.text(), data)) > 5
    # The 403 page of another cabinet is Russian too.
    wm.goto("/ui/staff/moderation", expect=403)
    assert RU("page.forbidden") in wm.text("#main")
    assert english_left(wm.text(), data) == []


def test_the_language_switch_keeps_the_referral_link(sessions: Sessions) -> None:
    code, _ = journeys.referral_code(sessions.demo)
    visitor = sessions.anonymous()
    visitor.goto(f"/ui/signup?network=demo&ref={code}")
    visitor.submit(visitor.page.get_by_role("link", name=journeys.LANGUAGES["ru"]))
    assert visitor.page.locator("html").get_attribute("lang") == "ru"
    assert visitor.page.get_by_label(RU("field.network")).input_value() == "demo"
    assert visitor.page.get_by_label(RU("field.referral_code")).input_value() == code
