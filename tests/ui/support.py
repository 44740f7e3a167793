"""Helpers for the cabinet tests: real sessions, forms with their CSRF token, and reading a page's text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from httpx import Response

from network.conversions.tables import Conversion
from network.tracking.tables import Click
from tests.support.client import Client
from tests.support.conversions import click, credential, fund, postback
from tests.support.world import World, login_session

PASSWORDS = {"network_admin": "admin-password"}
EMAILS = {"network_admin": "admin", "staff": "staff", "advertiser": "adv", "webmaster": "wm"}


@dataclass(frozen=True)
class Browser:
    """A logged-in browser: its session cookie and the session's CSRF token (what the forms carry)."""

    client: Client
    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie}

    async def get(self, path: str, **headers: str) -> Response:
        return await self.client.get(path, headers={**self.headers, **headers}, follow_redirects=False)

    async def post(self, path: str, data: dict[str, str], csrf: str | None = "", **headers: str) -> Response:
        """POST a form; ``csrf`` "" sends the right token, None sends none, anything else is sent as is."""
        body = dict(data)
        if csrf is not None:
            body["_csrf"] = csrf or self.csrf
        return await self.client.post(
            path, data=body, headers={**self.headers, **headers}, follow_redirects=False
        )


async def browser(client: Client, world: World, role: str, email: str | None = None) -> Browser:
    """A session made through the API's log-in, as the cabinet's own log-in form makes it."""
    address = email or f"{EMAILS[role]}-{world.tag}@example.com"
    headers = await login_session(client, world.slug, address, PASSWORDS.get(role, "correct-horse-battery"))
    return Browser(client, headers["Cookie"], headers["X-CSRF-Token"])


def set_cookies(response: Response) -> dict[str, str]:
    """Cookies the response sets (read by hand: the test settings make them Secure, and the test client
    talks plain HTTP, so it would not send them back)."""
    out = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        out[name.strip()] = rest.split(";", 1)[0].strip('"')
    return out


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items() if v)


class _Text(HTMLParser):
    """Visible text and the labels a screen reader reads (aria-label, title elements)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "script"}:
            self._skip += 1
        for name, value in attrs:
            if name in {"aria-label", "placeholder", "alt"} and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and value and ("type", "submit") in attrs:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "script"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def field_error(html: str, field: str) -> str | None:
    """The message shown right under a form field (``<p class="error" id="f-amount-error">``)."""
    match = re.search(rf'<p class="error" id="[^"]*{re.escape(field)}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


async def conversion(client: Client, world: World, order: str, **params: Any) -> int:
    """A real conversion: a click through the tracking link, then the advertiser's postback."""
    await fund(world, "1000.00")
    token = (await credential(client, world))["token"]
    click_id = await click(client, world)
    answer = await postback(client, token, click_id=click_id, order_id=order, sale_amount="40", **params)
    assert answer.status_code == 200, answer.text
    conversion_id = answer.json()["conversion_id"]
    assert isinstance(conversion_id, int)
    row = await Conversion.select(Conversion.status).where(Conversion.id == conversion_id).first()
    assert row is not None
    return conversion_id


async def tracked_click(
    client: Client, world: World, *, ip: str, user_agent: str, sub1: str
) -> dict[str, Any]:
    """A real click on the public offer through the webmaster's tracking link, from ``ip`` with
    ``user_agent``: redirected (302 whatever the verdict), stored; returns its click row."""
    links = (
        await client.post(
            f"/api/v1/offers/{world.offers['public']}/links",
            json={"sub1": sub1},
            headers=world.auth("webmaster"),
        )
    ).json()
    await client.app.state.click_registry.refresh()
    parts = urlsplit(links["cpanet"]["url"])
    response = await client.get(
        parts.path + "?" + parts.query,
        headers={"host": parts.netloc, "user-agent": user_agent, "x-country": "US", "x-forwarded-for": ip},
        follow_redirects=False,
    )
    assert response.status_code == 302
    await client.app.state.click_forwarder.drain()
    row: dict[str, Any] | None = (
        await Click.select().where(Click.click_id == response.headers["x-click-id"]).first()
    )
    assert row is not None
    return row
