"""Clicks on a running cpanet node, in all four link dialects, with redirects not followed.

    make run          # in another terminal: the demo network on http://127.0.0.1:8000
    .venv/bin/locust -f benchmarks/locustfiles/clicks.py --headless -u 50 -r 10 -t 30s
    .venv/bin/locust -f benchmarks/locustfiles/clicks.py     # web UI on http://127.0.0.1:8089

At the start of a test the scenario asks the API, with each demo webmaster's key from
var/demo-credentials.json, for the offers it may send traffic to and for their tracking links (every landing,
every dialect: cpanet ``/c/{offer}?wm=``, TUNE ``/aff_c``, Affise ``/click``, CAKE ``/?a=&c=``). Each
click then takes one of them with its dialect's sub id parameters, a source, a user agent (about 5 % bots),
a referrer, a visitor address in ``X-Forwarded-For`` and a country in ``CF-IPCountry``. cpanet reads the
country only with ``CPANET_TRUST_PROXY_HEADERS=1`` (behind a proxy); without it the geo-targeted demo offers
send the clicks to trafficback (still a 302). See docs/benchmarks/clicks.md.

A click succeeds when it is a 302 with a Location; anything else fails. Environment:
``CPANET_DEMO_CREDENTIALS`` (default var/demo-credentials.json), ``CPANET_LOCUST_RPS_PER_USER`` (clicks per
second each user aims at, default 20; 0 = as fast as it can), ``CPANET_LOCUST_API_URL`` (the API that issues
the links, default ``--host``). ``--host`` defaults to the network's tracking host from the credentials; when
it differs, clicks carry the tracking host in ``Host``.
"""

from __future__ import annotations

import json
import os
import random
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, constant, constant_throughput, events, task
from locust.env import Environment
from locust.runners import MasterRunner

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = Path(os.environ.get("CPANET_DEMO_CREDENTIALS", ROOT / "var" / "demo-credentials.json"))
RPS_PER_USER = float(os.environ.get("CPANET_LOCUST_RPS_PER_USER", "20"))
API_URL = os.environ.get("CPANET_LOCUST_API_URL", "")  # where to ask for the links when not at --host

# Traffic shares by dialect; the sub id and source parameters of each dialect (network/tracking/links.py).
DIALECTS = {"cpanet": 0.55, "tune": 0.2, "affise": 0.15, "cake": 0.1}
STATS_NAME = {"cpanet": "/c/{offer}", "tune": "/aff_c", "affise": "/click", "cake": "/?a=&c="}
SUB_PARAMS = {
    "cpanet": ("sub1", "sub2", "sub3"),
    "tune": ("aff_sub", "aff_sub2", "aff_sub3"),
    "affise": ("sub1", "sub2", "sub3"),
    "cake": ("s1", "s2", "s3"),
}
SOURCE_PARAM = {"cpanet": "source", "tune": "source", "affise": "source_id", "cake": "source_id"}
SOURCES = ["context", "social", "email", "push", "native"]
BROWSERS = {
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Mobile Safari/537.36": 30,
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1": 22,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36": 20,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15": 7,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0": 6,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36 Edg/124.0.2478.67": 5,
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36": 5,
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Mobile/15E148 Safari/604.1": 3,
}
BOTS = [
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
]
BOT_SHARE = 0.05
COUNTRIES = ["US", "GB", "DE", "FR", "RU", "KZ", "BR", "IN", "ES", "PL", "TR", "ID", "MX", "UA", "IT"]
ISP_OCTETS = [5, 24, 31, 37, 46, 62, 66, 67, 68, 71, 73, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,
              90, 91, 92, 93, 94, 95, 98, 109, 176, 178, 188, 189, 190, 201, 212, 213, 217]  # fmt: skip


@dataclass(frozen=True)
class Link:
    dialect: str
    path: str  # path and query as the API issued it, without sub ids
    countries: tuple[str, ...]  # the offer's geo targeting; empty = everywhere


class Pool:
    """The tracking links of the network under test, filled once when the test starts."""

    tracking_host = ""
    links: list[Link] = []
    weights: list[float] = []


def credentials() -> dict[str, Any]:
    if not CREDENTIALS.exists():
        raise SystemExit(
            f"{CREDENTIALS} not found: run `make run` (or `cpanet demo seed`) first, or point "
            "CPANET_DEMO_CREDENTIALS at a credentials file"
        )
    loaded: dict[str, Any] = json.loads(CREDENTIALS.read_text())
    return loaded


def _api(base: str, key: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def discover(base: str, creds: dict[str, Any]) -> tuple[list[Link], list[float]]:
    """Every approved (webmaster, offer, landing) in every dialect; webmasters weighted 1/rank."""
    keys = [
        u["api_key"]
        for u in creds["users"]
        if u["role"] == "webmaster" and str(u.get("api_key", "")).startswith("cpn_")
    ]
    links: list[Link] = []
    weights: list[float] = []
    for rank, key in enumerate(keys, start=1):
        for access in _api(base, key, "GET", "/api/v1/my/offer-access"):
            if access["status"] != "approved":
                continue
            offer = _api(base, key, "GET", f"/api/v1/offers/{access['offer_id']}")
            if offer["status"] != "active":
                continue
            countries = tuple(offer["targeting"].get("countries") or ())
            for landing in offer["landings"]:
                body = {"landing_id": landing["id"]}
                issued = _api(base, key, "POST", f"/api/v1/offers/{offer['id']}/links", body)
                page = 0.8 if landing["is_default"] else 0.2
                for dialect, share in DIALECTS.items():
                    url = urlsplit(issued[dialect]["url"])
                    links.append(Link(dialect, f"{url.path}?{url.query}", countries))
                    weights.append(share * page / rank)
    return links, weights


def _load_links(environment: Environment, **_kwargs: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        return  # workers load their own
    creds = credentials()
    base = (API_URL or environment.host or f"http://{creds['tracking_host']}").rstrip("/")
    Pool.tracking_host = str(creds["tracking_host"])
    Pool.links, Pool.weights = discover(base, creds)
    if not Pool.links:
        raise SystemExit("the network issued no tracking links to the demo webmasters")
    print(f"clicks: {len(Pool.links)} tracking links from {base}, tracking host {Pool.tracking_host}")


events.test_start.add_listener(_load_links)  # type: ignore[no-untyped-call]  # locust leaves it unannotated


def _default_host() -> str | None:
    if "CPANET_LOCUST_HOST" in os.environ:
        return os.environ["CPANET_LOCUST_HOST"]
    if CREDENTIALS.exists():
        return f"http://{credentials()['tracking_host']}"
    return None


class ClickingVisitor(FastHttpUser):
    """A stream of visitors arriving through the network's partners' tracking links."""

    host = _default_host()
    wait_time = constant_throughput(RPS_PER_USER) if RPS_PER_USER > 0 else constant(0)

    @task
    def click(self) -> None:
        link = random.choices(Pool.links, Pool.weights)[0]
        placement = f"site{random.randrange(20_000)}"
        values = (placement, f"cmp{random.randrange(40)}", random.randbytes(8).hex())
        params = dict(zip(SUB_PARAMS[link.dialect], values, strict=True))
        if random.random() < 0.7:
            params[SOURCE_PARAM[link.dialect]] = random.choice(SOURCES)
        headers = self._visitor(link, placement)
        if self.host and urlsplit(self.host).netloc != Pool.tracking_host:
            headers["Host"] = Pool.tracking_host
        with self.client.get(
            f"{link.path}&{urlencode(params)}",
            name=f"{STATS_NAME[link.dialect]} ({link.dialect})",
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302 and response.headers.get("location"):
                response.success()
            else:
                body = (response.text or "")[:200]
                response.failure(f"expected a 302 with a Location, got {response.status_code}: {body}")

    @staticmethod
    def _visitor(link: Link, placement: str) -> dict[str, str]:
        bot = random.random() < BOT_SHARE
        if bot:
            headers = {"User-Agent": random.choice(BOTS)}
        else:
            headers = {
                "User-Agent": random.choices(list(BROWSERS), list(BROWSERS.values()))[0],
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "en-US,en;q=0.9",
            }
            if random.random() < 0.6:
                headers["Referer"] = f"https://{placement}.example/article/{random.randrange(10_000)}"
        in_geo = link.countries and random.random() < 0.85
        headers["CF-IPCountry"] = random.choice(link.countries if in_geo else COUNTRIES)
        octets = (
            random.choice(ISP_OCTETS),
            random.randrange(256),
            random.randrange(256),
            random.randrange(1, 255),
        )
        headers["X-Forwarded-For"] = ".".join(map(str, octets))
        return headers
