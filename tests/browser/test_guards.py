"""In the browser: another cabinet's page is the 403 page; a form without its CSRF token is refused."""

from __future__ import annotations

import pytest

from tests.browser.support import EN, Sessions

pytestmark = pytest.mark.browser

WEBMASTER = "wm1@demo.example"


def test_a_webmaster_gets_the_403_page_for_advertiser_and_staff_pages(sessions: Sessions) -> None:
    wm = sessions.login(WEBMASTER)
    pages = ["/ui/adv/conversions", "/ui/adv/access", "/ui/adv/offers/1/terms"]
    pages += ["/ui/staff/moderation", "/ui/staff/conversions"]
    for path in pages:
        wm.goto(path, expect=403)
        assert wm.page.get_by_role("heading", name=EN("page.forbidden")).is_visible(), path
        # The 403 page is still the webmaster's own cabinet: its navigation and a way home.
        assert wm.page.get_by_role("link", name=EN("nav.dashboard")).is_visible(), path
        assert wm.page.get_by_role("link", name=EN("error.home")).get_attribute("href") == "/ui/wm"
    wm.goto("/ui/wm")


def _withdrawals(text: str) -> int:
    return text.count(EN("status.requested"))


def test_a_form_without_its_csrf_token_is_refused(sessions: Sessions) -> None:
    wm = sessions.login(WEBMASTER)
    wm.goto("/ui/wm/balance")
    before = _withdrawals(wm.text("#main"))
    form = wm.page.locator("form[action='/ui/wm/withdrawals']")
    form.get_by_label(EN("field.amount")).fill("1.00")
    form.get_by_label(EN("field.details")).fill("card 4000 0000 0000 0002")
    removed = wm.page.evaluate(
        """() => {
            const input = document.querySelector("form[action='/ui/wm/withdrawals'] input[name=_csrf]");
            input.remove();
            return document.querySelectorAll("form[action='/ui/wm/withdrawals'] input[name=_csrf]").length;
        }"""
    )
    assert removed == 0
    wm.submit(form.get_by_role("button", name=EN("withdraw.submit")), expect=403)
    assert wm.page.get_by_role("heading", name=EN("page.forbidden")).is_visible()
    wm.goto("/ui/wm/balance")
    assert _withdrawals(wm.text("#main")) == before
    # The same form with its token reaches the ledger, which answers next to the field: the refusal above
    # was the missing token's doing, before the handler ran.
    form.get_by_label(EN("field.amount")).fill("1000000")
    wm.submit(form.get_by_role("button", name=EN("withdraw.submit")), expect=409)
    error = wm.page.locator("#f-amount-error").inner_text()
    assert error.startswith(EN("err.insufficient_funds", available="\x00").split("\x00")[0]), error
    assert _withdrawals(wm.text("#main")) == before
