"""Helpers for the browser tests: the demo server's data, logged-in tabs, form submission, clicks and
postbacks as real HTTP requests, screenshots, and the check that a Russian page has no English left."""

from __future__ import annotations

import functools
import itertools
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from admin_ui.i18n import Translator, catalogue

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The pictures in docs/ are refreshed on request (`make screenshots`), so a test run leaves the tree clean;
# otherwise every run still takes them, into a scratch folder.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("CPANET_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "cpanet-screenshots"
)
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
NETWORK = "demo"
EN, RU = Translator("en"), Translator("ru")
# A phone browser: the demo's offers target mobile devices among others.
MOBILE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
)
_visitors = itertools.count(1)
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{int(time.time() * 1000) % 10_000_000}-{next(_names)}"


@dataclass(frozen=True)
class Demo:
    """The running demo network: its address and what `cpanet demo seed` wrote to demo-credentials.json."""

    base_url: str
    credentials: dict[str, Any]
    database: Path
    log: Path

    def password(self, email: str) -> str:
        return next(str(u["password"]) for u in self.credentials["users"] if u["email"] == email)

    def api(self, email: str) -> httpx.Client:
        key = next(u["api_key"] for u in self.credentials["users"] if u["email"] == email)
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30, trust_env=False
        )

    def get_json(self, email: str, path: str, **params: Any) -> Any:
        with self.api(email) as client:
            response = client.get(path, params=params)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    def postback_token(self, advertiser_email: str) -> str:
        return str(self.credentials["postback_tokens"][advertiser_email])

    def click(self, url: str, country: str) -> str:
        """A visitor follows a tracking link: a plain HTTP GET to the server (the link's host is the demo
        network's tracking host), redirects not followed; returns the click id once the click is stored."""
        parts = urlsplit(url)
        n = next(_visitors)
        response = httpx.get(
            f"{self.base_url}{parts.path}?{parts.query}",
            headers={
                "Host": parts.netloc,
                "User-Agent": MOBILE_UA,
                "X-Country": country,
                "X-Forwarded-For": f"81.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            },
            follow_redirects=False,
            timeout=30,
            trust_env=False,
        )
        assert response.status_code == 302, (response.status_code, response.text)
        click_id = response.headers["x-click-id"]
        self.wait_for_click(click_id)
        return click_id

    def wait_for_click(self, click_id: str, timeout: float = 20.0) -> None:
        """The click pipeline stores a click shortly after its redirect; a postback before that would be
        queued (202), which is a different journey."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5) as db:
                if db.execute("SELECT 1 FROM click WHERE click_id = ?", (click_id,)).fetchone():
                    return
            time.sleep(0.1)
        raise AssertionError(f"click {click_id} was not stored within {timeout} s")

    def postback(self, advertiser_email: str, **params: str) -> dict[str, Any]:
        """The advertiser's server postback (docs/postbacks.md), authenticated by its token."""
        response = httpx.get(
            f"{self.base_url}/postback",
            params={"token": self.postback_token(advertiser_email), **params},
            timeout=30,
            trust_env=False,
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        assert answer["decision"] == "accepted", answer
        return answer


@dataclass
class Cabinet:
    """One user's tab."""

    page: Page
    base_url: str

    def goto(self, path: str, expect: int = 200) -> Response:
        response = self.page.goto(self.base_url + path)
        assert response is not None
        assert response.status == expect, (path, response.status, self.text()[:2000])
        return response

    def submit(self, button: Locator, expect: int = 200) -> Response:
        """Press a form's button and wait for the page it leads to (after any redirect)."""
        with self.page.expect_navigation() as navigation:
            button.click()
        response = navigation.value
        assert response is not None
        assert response.status == expect, (self.page.url, response.status, self.text()[:2000])
        return response

    def text(self, selector: str = "body") -> str:
        return self.page.inner_text(selector)

    @property
    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def shot(self, name: str) -> None:
        """<name>.png of the viewport (a stable size), in docs/screenshots with CPANET_SCREENSHOTS=1."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")


@dataclass
class Sessions:
    """Opens tabs for users of the demo network: a log-in through the form once per user, its cookies
    reused afterwards (the log-in form is rate-limited per address, as it should be)."""

    demo: Demo
    browser: Browser
    states: dict[str, Any] = field(default_factory=dict)
    opened: list[BrowserContext] = field(default_factory=list)

    def _context(self, viewport: ViewportSize, state: Any = None, **options: Any) -> BrowserContext:
        context = self.browser.new_context(
            viewport=viewport,
            locale="en-US",
            timezone_id="Europe/Moscow",
            storage_state=state,
            **options,
        )
        context.set_default_timeout(15_000)
        self.opened.append(context)
        return context

    def anonymous(self, viewport: ViewportSize = VIEWPORT) -> Cabinet:
        return Cabinet(self._context(viewport).new_page(), self.demo.base_url)

    def login(self, email: str, password: str | None = None, viewport: ViewportSize = VIEWPORT) -> Cabinet:
        if email in self.states:
            return Cabinet(self._context(viewport, self.states[email]).new_page(), self.demo.base_url)
        cabinet = self.anonymous(viewport)
        cabinet.goto(f"/ui/login?network={NETWORK}")
        page = cabinet.page
        page.get_by_label(EN("field.email")).fill(email)
        page.get_by_label(EN("field.password")).fill(password or self.demo.password(email))
        cabinet.submit(page.get_by_role("button", name=EN("login.submit")))
        assert "/ui/login" not in cabinet.path, cabinet.text()
        self.remember(email, cabinet)
        return cabinet

    def remember(self, email: str, cabinet: Cabinet) -> None:
        self.states[email] = cabinet.page.context.storage_state()

    def close_opened(self) -> None:
        for context in self.opened:
            context.close()
        self.opened.clear()


def wait_until(check: Any, timeout: float = 15.0, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout} s")
        time.sleep(every)


# Latin words a Russian page may hold outside data: the same lists as tests/ui/test_i18n.py.
LATIN_IN_RUSSIAN = {"demo", "IBAN", "CPA"}
LATIN_IN_TEMPLATES = {"English", "cpanet"}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# Technical strings that are data, not words: addresses, e-mails, codes such as `advertiser_rejected`.
TECHNICAL = re.compile(r"https?://\S+|\S+@\S+|\b[a-z0-9]+(?:_[a-z0-9]+)+\b|\b[a-z]+\d+\b")


@functools.cache
def english_patterns() -> list[re.Pattern[str]]:
    """Every English catalogue message whose Russian differs, as a pattern matching one whole line."""
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


def english_left(text: str, data: Iterable[str]) -> list[str]:
    """Lines of a page's text in Russian that still hold English: a whole English catalogue message, or
    a Latin word that is not part of the page's data (offer names, categories, currencies, user names)."""
    patterns = english_patterns()
    known = sorted({d for d in data if d}, key=len, reverse=True)
    found = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        if any(p.fullmatch(line) for p in patterns):
            found.append(line)
            continue
        stripped = TECHNICAL.sub(" ", line)
        for value in known:
            stripped = stripped.replace(value, " ")
        words = set(re.findall(r"[A-Za-z]{2,}", stripped)) - LATIN_IN_RUSSIAN - LATIN_IN_TEMPLATES
        if words:
            found.append(f"{line}  <- {sorted(words)}")
    return found


def offer_data(demo: Demo, details: Iterable[int], staff_email: str = "staff@demo.example") -> set[str]:
    """The strings of the demo network's offers that a page may show as they are: what the catalogue lists
    of every offer, and everything about the offers whose own pages are read (``details``)."""
    out: set[str] = set()
    listing = demo.get_json(staff_email, "/api/v1/offers", limit=200)
    for item in listing["items"]:
        out |= {item["name"], item.get("category") or "", item["currency"], *(item.get("countries") or [])}
    for offer_id in details:
        offer = demo.get_json(staff_email, f"/api/v1/offers/{offer_id}")
        out |= {offer.get("description") or "", *(offer.get("allowed_sources") or [])}
        for goal in offer.get("goals") or []:
            out |= {goal["name"], goal["key"], goal["kind"]}
        for promo in offer.get("promo_materials") or []:
            out |= {promo["name"], promo.get("content") or ""}
        for landing in offer.get("landings") or []:
            out.add(landing["name"])
    return out
