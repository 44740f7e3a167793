"""Journey 2: the advertiser dry-runs and publishes a terms version from a future date, and a webmaster sees
the announced change and its date. Journey 3: staff reject a conversion with a reason, and the webmaster
sees the reason code and the reversal in the ledger."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from admin_ui.i18n import Formatter
from tests.browser import journeys
from tests.browser.support import EN, Demo, Sessions, unique

pytestmark = pytest.mark.browser

# Leads from Germany earn 12.50, the rest 6: a rule with a branch, so the dry-run has a trace to show.
PAYOUT = '{"if": [{"==": [{"var": "click.country"}, "DE"]}, 12.5, 6]}'
REVENUE = '{"if": [{"==": [{"var": "click.country"}, "DE"]}, 19, 9]}'


def test_terms_published_from_a_future_date_after_a_dry_run(demo: Demo, sessions: Sessions) -> None:
    offer = journeys.offer_with(demo, "public")
    adv = sessions.login(offer.advertiser)
    adv.goto(f"/ui/adv/offers/{offer.id}/terms")
    page = adv.page
    before = page.locator("#versions tbody tr").count()
    form = page.locator("#terms-form")
    form.locator("textarea[name=payout]").fill(PAYOUT)
    form.locator("textarea[name=revenue]").fill(REVENUE)
    adv.submit(page.locator("button[name=action][value=validate]"))
    assert page.locator("#validation-result").inner_text() == EN("adv.terms.valid")
    # The dry run, on the example context the editor offers (a lead from Germany).
    page.get_by_text(EN("adv.terms.dry_run_title"), exact=True).click()
    assert '"country": "DE"' in page.locator("textarea[name=context]").input_value()
    adv.submit(page.locator("button[name=action][value=dry_run]"))
    result = page.locator("#dry-run-result")
    assert result.locator("#dry-run-payout").inner_text() == "$12.50"
    assert result.locator("#dry-run-revenue").inner_text() == "$19.00"
    trace = result.locator("#trace li")
    assert trace.count() > 0 and "if" in trace.first.inner_text()
    result.scroll_into_view_if_needed()
    adv.shot("adv-terms-dry-run")
    # The editor kept the draft; publish it from ten days ahead, with a note for the webmasters.
    assert form.locator("textarea[name=payout]").input_value() == PAYOUT
    starts = (datetime.now(journeys.ZONE) + timedelta(days=10)).replace(second=0, microsecond=0)
    starts = starts.replace(minute=0)
    form.locator("input[name=effective_from]").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    note = unique("More for German leads")
    form.locator("input[name=note]").fill(note)
    adv.submit(page.locator("button[name=action][value=publish]"))
    assert adv.path == f"/ui/adv/offers/{offer.id}/terms?done=adv_terms_published", adv.path
    rows = page.locator("#versions tbody tr")
    assert rows.count() == before + 1
    published = rows.filter(has_text=note)
    assert published.get_attribute("data-state") == "upcoming"
    en = Formatter("en", journeys.ZONE)
    assert en.moment(starts) in published.inner_text()

    # A webmaster who runs the offer sees the change coming, and from when.
    wm = sessions.login(journeys.REFERRER)
    wm.goto(f"/ui/wm/offers/{offer.id}")
    announced = wm.page.locator(".callout.upcoming").filter(has_text=note)
    assert announced.count() == 1, wm.text("#main")
    assert announced.locator("h3").inner_text() == EN("terms.upcoming", date=en.moment(starts))


def test_staff_reject_a_conversion_and_the_webmaster_sees_why(demo: Demo, sessions: Sessions) -> None:
    wm = sessions.login(journeys.REFERRER)
    journey = journeys.Journey(
        wm,
        "Webmaster 1",
        journeys.REFERRER,
        journeys.referral_code(demo)[1],
        journeys.offer_with(demo, "public", 1),
        EN,
    )
    journeys.build_link(journey)
    answer = journeys.convert(demo, journey)
    conversion = answer["conversion_id"]
    assert answer["status"] == "hold"

    comment = "Forty clicks a minute from one subnet"
    journeys.staff_reject(sessions, conversion, "fraud_velocity", comment, shots=True)
    journeys.sees_rejection(journey, "fraud_velocity", comment)
