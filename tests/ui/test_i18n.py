"""English and Russian: formatting per locale, the catalogues, and Russian cabinets with no English left."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from admin_ui import errors as ui_errors
from admin_ui.i18n import (
    LOCALE_DIR,
    NBSP,
    Formatter,
    Translator,
    catalogue,
    catalogue_files,
    choose_locale,
    negotiate,
)
from admin_ui.render import NAVIGATION, NOTICES
from network.accounts import service as accounts
from network.accounts.schemas import SignupIn
from network.offers import service as offers
from network.offers.schemas import Transition
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import Browser, browser, conversion, field_error, page_text

# The pages call the same services as the API, whose tests run on both engines.
pytestmark = pytest.mark.sqlite_only


UI = Path(__file__).resolve().parents[2] / "admin_ui"
EN, RU = Translator("en"), Translator("ru")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# Latin words a Russian message may contain: a network's slug in an example, a bank term, the industry's name.
LATIN_IN_RUSSIAN = {"demo", "IBAN", "CPA"}
# Words a template may hold outside messages: each language's own name in the switch, the product's name.
LATIN_IN_TEMPLATES = {"English", "cpanet"}


def test_money_numbers_and_dates_per_locale() -> None:
    en, ru = Formatter("en"), Formatter("ru")
    assert en.money("1234.5", "USD") == "$1,234.50"
    assert ru.money("1234.5", "USD") == f"1{NBSP}234,50{NBSP}$"
    assert en.money("-3", "USD") == "-$3.00" and ru.money("-3", "USD") == f"-3,00{NBSP}$"
    assert en.money("1234567.89", "RUB") == "₽1,234,567.89"
    assert ru.money("1234567.89", "RUB") == f"1{NBSP}234{NBSP}567,89{NBSP}₽"
    assert en.money("1235", "JPY") == "¥1,235"  # no minor unit
    assert en.money("10", "CHF") == f"CHF{NBSP}10.00" and ru.money("10", "CHF") == f"10,00{NBSP}CHF"
    assert en.money("1.5", "KWD") == f"KWD{NBSP}1.500"
    assert en.number(1234567) == "1,234,567" and ru.number(1234567) == f"1{NBSP}234{NBSP}567"
    assert en.number(None) == "—"
    assert en.day(date(2026, 3, 5)) == "Mar 5, 2026" and ru.day(date(2026, 3, 5)) == "05.03.2026"
    moscow = Formatter("ru", ZoneInfo("Europe/Moscow"))
    assert moscow.moment(datetime(2026, 3, 5, 22, 30, tzinfo=UTC)) == "06.03.2026, 01:30"
    assert en.parse_amount("1,234.50") == "1234.50"
    assert ru.parse_amount("1 234,50") == "1234.50" and ru.parse_amount(f"1{NBSP}234,5") == "1234.5"


def test_plural_forms() -> None:
    forms = catalogue("ru")["unit.days"]
    assert isinstance(forms, dict)
    one, few, many = forms["one"], forms["few"], forms["many"]
    expected = [one, few, many, many, one, few, many]
    assert [RU.plural("unit.days", n) for n in (1, 2, 5, 11, 21, 22, 111)] == [
        form.format(n=n) for form, n in zip(expected, (1, 2, 5, 11, 21, 22, 111), strict=True)
    ]
    assert EN.plural("unit.days", 1) == "1 day" and EN.plural("unit.days", 0) == "0 days"


def test_choosing_the_language() -> None:
    assert negotiate("ru-RU,ru;q=0.9,en-US;q=0.8") == "ru"
    assert negotiate("de-DE, en;q=0.1, ru;q=0.05") == "en"
    assert negotiate("fr, de") is None and negotiate("ru;q=0") is None and negotiate(";;;,q=") is None
    assert negotiate("en;q=0.5, ru;q=0.9") == "ru"
    assert choose_locale(user_locale="ru", cookie="en", accept_language="en") == "ru"
    assert choose_locale(user_locale=None, cookie="ru", accept_language="en") == "ru"
    assert choose_locale(user_locale=None, cookie="xx", accept_language="ru") == "ru"
    assert choose_locale(user_locale=None, cookie=None, accept_language="") == "en"


def _placeholders(message: str | dict[str, str]) -> set[str]:
    texts = message.values() if isinstance(message, dict) else [message]
    return {p for text in texts for p in PLACEHOLDER.findall(text)}


def test_catalogues_have_the_same_messages() -> None:
    en, ru = catalogue("en"), catalogue("ru")
    assert sorted(p.name for p in LOCALE_DIR.glob("*.json")) == ["en.json", "ru.json"]
    # Every area has both languages.
    areas = {p.parent.name for p in LOCALE_DIR.glob("*/*.json")}
    for area in areas:
        assert sorted(p.name for p in (LOCALE_DIR / area).glob("*.json")) == ["en.json", "ru.json"], area
    assert catalogue_files("en")[0].name == "en.json"
    assert set(en) == set(ru)
    for key, english in en.items():
        russian = ru[key]
        assert _placeholders(english) == _placeholders(russian), key
        if isinstance(english, dict):
            assert set(english) == {"one", "other"}, key
            assert isinstance(russian, dict) and set(russian) == {"one", "few", "many"}, key
        for text in russian.values() if isinstance(russian, dict) else [russian]:
            latin = set(re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", text))) - LATIN_IN_RUSSIAN
            assert not latin, (key, latin)


def test_every_message_the_code_names_exists() -> None:
    en = catalogue("en")
    sources = [p.read_text() for p in (*UI.rglob("*.py"), *UI.rglob("*.html"))]
    named = {
        key
        for text in sources
        for key in re.findall(r"""\bt(?:\.plural)?\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text)
    }
    # A key built in the template (``"review." ~ to``) shows up as its prefix: those are listed below.
    named = {key for key in named if not key.endswith(("_", "."))}
    assert len(named) > 100
    computed = {k.key for k in ui_errors.KNOWN} | set(ui_errors.FALLBACK.values())
    computed |= {f"notice.{n}" for n in NOTICES} | {key for items in NAVIGATION.values() for _, key in items}
    computed |= {"review.rejected", "review.reversed", "review.confirm_rejected", "review.confirm_reversed"}
    assert sorted((named | computed) - set(en)) == []


def test_templates_hold_no_words_of_their_own() -> None:
    """All words on a page come from the catalogues (or from data): nothing hard-coded in English."""
    for path in UI.rglob("templates/**/*.html"):
        source = path.read_text()
        stripped = re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.S)
        for value in re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', stripped):
            assert not re.search(r"[A-Za-z]", value), (path.name, value)
        # Tags, and attributes a macro writes outside a tag of its own (aria-describedby="...").
        text = re.sub(r"<[^>]*>|\s[a-z-]+=\"[^\"]*\"", " ", stripped)
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - LATIN_IN_TEMPLATES
        assert not words, (path.name, words)


def _english_patterns() -> list[re.Pattern[str]]:
    """Every English message whose Russian differs, as a pattern matching one whole text node."""
    en, ru = catalogue("en"), catalogue("ru")
    patterns = []
    for key, message in en.items():
        texts = list(message.values()) if isinstance(message, dict) else [message]
        for text in texts:
            if text == ru[key]:
                continue
            parts = [re.escape(part) for part in PLACEHOLDER.split(text)]
            patterns.append(re.compile(".+".join(parts)))
    return patterns


def _assert_russian(html: str, where: str) -> str:
    assert '<html lang="ru">' in html, where
    text = page_text(html)
    patterns = _english_patterns()
    for line in text.splitlines():
        for pattern in patterns:
            assert not pattern.fullmatch(line), (where, line)
    return text


async def _in_russian(session: Browser) -> None:
    assert (await session.get("/ui/lang/ru")).status_code == 303


async def test_russian_cabinets_have_no_english_left(client: Client, world: World) -> None:
    await conversion(client, world, "RU-1")
    pending = await conversion(client, world, "RU-2", status="pending")
    await offers.transition(world.principals["advertiser"], world.offers["draft"], Transition(to="pending"))
    hasher = client.app.state.hasher
    await accounts.signup_webmaster(
        SignupIn(
            network=world.slug, email=f"ru-{world.tag}@example.com", password="long-enough-pw", name="Nova"
        ),
        hasher,
    )
    wm = await browser(client, world, "webmaster")
    await _in_russian(wm)
    assert (await wm.post("/ui/wm/withdrawals", {"amount": "2,50", "details": "карта"})).status_code == 303
    pages = {
        "/ui/wm": [RU("dash.title"), RU("dash.today"), RU("metric.earnings"), RU("dash.chart_title")],
        "/ui/wm/offers": [RU("offers.title"), RU("visibility.public"), RU("access.approved")],
        f"/ui/wm/offers/{world.offers['public']}": [RU("offer.terms"), RU("terms.payout")],
        "/ui/wm/conversions": [RU("conversions.title"), RU("status.approved"), RU("col.hold_until")],
        "/ui/wm/balance": [
            RU("balance.available"),
            RU("withdraw.submit"),
            RU("ledger.title"),
            RU("status.requested"),
        ],
    }
    texts = {}
    for path, expected in pages.items():
        text = _assert_russian((await wm.get(path)).text, path)
        for label in [RU("nav.dashboard"), RU("auth.logout"), *expected]:
            assert label in text, (path, label)
        texts[path] = text
    # Money, numbers and dates are Russian too.
    assert f"7,50{NBSP}$" in texts["/ui/wm/balance"] and f"2,50{NBSP}$" in texts["/ui/wm/balance"]
    assert f"10,00{NBSP}$" in texts["/ui/wm/conversions"] and "$10.00" not in texts["/ui/wm/conversions"]
    assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d", texts["/ui/wm/conversions"])
    assert RU("terms.upcoming", date="") in texts[f"/ui/wm/offers/{world.offers['public']}"]
    # A service's problem comes back in Russian, next to its field, with Russian money.
    refused = await wm.post("/ui/wm/withdrawals", {"amount": "1 000"})
    assert refused.status_code == 409
    assert field_error(refused.text, "amount") == RU("err.insufficient_funds", available=f"7,50{NBSP}$")
    _assert_russian(refused.text, "refused withdrawal")
    # Another cabinet's page: a Russian 403.
    forbidden = await wm.get("/ui/staff/moderation")
    assert forbidden.status_code == 403
    assert RU("page.forbidden") in _assert_russian(forbidden.text, "403")

    adv = await browser(client, world, "advertiser")
    await _in_russian(adv)
    review = _assert_russian((await adv.get("/ui/adv/conversions")).text, "review")
    assert RU("review.title") in review and RU("review.rejected") in review and str(pending) in review
    assert RU("reason.advertiser_rejected") in review  # the reason codes offered are translated
    staff = await browser(client, world, "staff")
    await _in_russian(staff)
    queue = _assert_russian((await staff.get("/ui/staff/moderation")).text, "moderation")
    assert RU("moderation.offers") in queue and "Nova" in queue and RU("moderation.reject") in queue
    for path in ("/ui/login", "/ui/signup"):
        anonymous = await client.get(path, headers={"Accept-Language": "ru"})
        _assert_russian(anonymous.text, path)


@pytest.mark.parametrize(("locale", "amount"), [("en", "$10.00"), ("ru", f"10,00{NBSP}$")])
async def test_money_on_the_page_follows_the_reader(
    client: Client, world: World, locale: str, amount: str
) -> None:
    await conversion(client, world, f"M-{locale}")
    wm = await browser(client, world, "webmaster")
    await wm.get(f"/ui/lang/{locale}")
    assert f"{Translator(locale)('balance.available')}\n{amount}" in page_text(
        (await wm.get("/ui/wm/balance")).text
    )


def test_catalogue_files_are_valid_json() -> None:
    for path in LOCALE_DIR.glob("*.json"):
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
