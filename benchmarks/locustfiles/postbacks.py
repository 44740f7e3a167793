"""Advertisers' postbacks on a running cpanet node, in a realistic mix, against clicks it has stored.

    make run    # or `cpanet serve` on PostgreSQL; the demo network must be seeded (`cpanet demo seed`)
    .venv/bin/python benchmarks/postback_bench.py clicks --count 20000    # stores clicks, writes the file
    .venv/bin/locust -f benchmarks/locustfiles/postbacks.py --headless -u 30 -r 10 -t 20s
    .venv/bin/locust -f benchmarks/locustfiles/postbacks.py     # web UI on http://127.0.0.1:8089

The clicks file (``CPANET_LOCUST_CLICKS``, default var/postback-clicks.csv) has one ``click_id,token`` line
per stored click, the token being the postback token of the click's advertiser; ``postback_bench.py clicks``
stores the clicks in the database of ``CPANET_DATABASE_URL`` and writes it, with the tokens from
var/demo-credentials.json. Each known click converts once: the users take them from a shared queue.

The mix (weights of the tasks): 70 new conversions in cpanet's form (``/postback?token=&click_id=&order_id=``,
sales with an amount, leads, a few pending), 4 TUNE (``/aff_lsr?security_token=&transaction_id=&adv_sub=``),
4 Everflow (``verification_token``, ``transaction_id``, ``adv1``), 4 Voluum (``cid``, ``txid``, ``payout``,
``status=approved``), 8 duplicates (an order this user already sent, again), 4 bad tokens, 6 unknown click
ids (half of them well formed and recent, which cpanet queues for the click pipeline: 202).

Success: a 200 or 202 whose JSON has a decision and a message; a bad token must be refused with 401
``invalid_token``, and a duplicate must not be accepted as a new conversion. A 5xx, a 200 without a decision,
or anything else is a failure. Environment: ``CPANET_LOCUST_CLICKS``, ``CPANET_DEMO_CREDENTIALS`` (for the
default host: the network's tracking host), ``CPANET_LOCUST_HOST``, ``CPANET_LOCUST_RPS_PER_USER`` (postbacks
per second each user aims at, default 1, a tracker posting a conversion a second; 0 = as fast as it can),
``CPANET_LOCUST_WORKERS`` (distributed runs: the number of workers, so that each takes its share of clicks).
"""

from __future__ import annotations

import collections
import json
import os
import random
import string
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, constant, constant_throughput, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

ROOT = Path(__file__).resolve().parents[2]
CLICKS = Path(os.environ.get("CPANET_LOCUST_CLICKS", ROOT / "var" / "postback-clicks.csv"))
CREDENTIALS = Path(os.environ.get("CPANET_DEMO_CREDENTIALS", ROOT / "var" / "demo-credentials.json"))
RPS_PER_USER = float(os.environ.get("CPANET_LOCUST_RPS_PER_USER", "1"))
DECISIONS = {"accepted", "duplicate", "updated", "rejected", "queued"}
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


class Clicks:
    """Known clicks not converted yet, shared by the users of this process; tokens seen in the file."""

    queue: collections.deque[tuple[str, str]] = collections.deque()
    tokens: list[str] = []
    ran_out = False


def _load(environment: Environment, **_kwargs: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        return  # the workers load their own share
    if not CLICKS.exists():
        raise SystemExit(
            f"{CLICKS} not found: store clicks with `.venv/bin/python benchmarks/postback_bench.py clicks` "
            "(see docs/benchmarks/postbacks.md) or point CPANET_LOCUST_CLICKS at such a file"
        )
    rows = [line.split(",", 1) for line in CLICKS.read_text().splitlines()[1:] if "," in line]
    runner = environment.runner
    if isinstance(runner, WorkerRunner):  # distributed: worker i of n takes every n-th click
        workers = int(os.environ.get("CPANET_LOCUST_WORKERS", "0"))
        if workers > 0:
            rows = rows[runner.worker_index % workers :: workers]
        else:
            print("postbacks: set CPANET_LOCUST_WORKERS to the number of workers, or workers reuse clicks")
    random.shuffle(rows)
    Clicks.queue = collections.deque((click_id, token) for click_id, token in rows)
    Clicks.tokens = sorted({token for _, token in rows})
    print(f"postbacks: {len(Clicks.queue):,} known clicks from {CLICKS}, {len(Clicks.tokens)} tokens")


events.test_start.add_listener(_load)  # type: ignore[no-untyped-call]  # locust leaves it unannotated


def _default_host() -> str | None:
    if "CPANET_LOCUST_HOST" in os.environ:
        return os.environ["CPANET_LOCUST_HOST"]
    if CREDENTIALS.exists():
        return f"http://{json.loads(CREDENTIALS.read_text())['tracking_host']}"
    return None


def _click_id(at: float) -> str:
    """A well-formed click id (network/tracking/clickid.py) born at ``at`` that no click has."""
    value = (int(at * 1000) << 64) | random.getrandbits(64)
    out = []
    for _ in range(19):
        value, digit = divmod(value, 62)
        out.append(BASE62[digit])
    return "".join(reversed(out))


def _sale() -> str:
    return f"{min(2000.0, random.lognormvariate(4.3, 0.7)):.2f}"


class Advertiser(FastHttpUser):
    """An advertiser's tracker (or several) posting conversions back to the network."""

    host = _default_host()
    wait_time = constant_throughput(RPS_PER_USER) if RPS_PER_USER > 0 else constant(0)

    def on_start(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []  # (path, params) of new conversions, for duplicates
        self.orders = 0

    def _order(self) -> str:
        self.orders += 1
        return f"lc-{id(self):x}-{self.orders}-{random.getrandbits(24):06x}"

    def _known(self) -> tuple[str, str] | None:
        try:
            return Clicks.queue.popleft()
        except IndexError:
            if not Clicks.ran_out:
                Clicks.ran_out = True
                print("postbacks: out of known clicks; new-conversion tasks now send duplicates")
            return None

    def _post(self, path: str, params: dict[str, str], name: str, expect: str = "") -> None:
        with self.client.get(f"{path}?{urlencode(params)}", name=name, catch_response=True) as response:
            try:
                body = response.json()
            except (ValueError, TypeError):
                body = {}
            decision = body.get("decision") if isinstance(body, dict) else None
            explained = decision in DECISIONS and bool(body.get("message"))
            status = response.status_code
            if expect == "invalid_token":
                if status == 401 and body.get("reason") == "invalid_token":
                    response.success()
                else:
                    response.failure(f"a bad token got {status} {decision}: {str(body)[:200]}")
            elif status in {200, 202} and explained:
                if expect == "duplicate" and decision == "accepted":
                    response.failure(f"a duplicate was accepted as a new conversion: {str(body)[:200]}")
                else:
                    response.success()
            else:
                response.failure(f"{status} without an explained decision: {(response.text or '')[:200]}")

    def _new(self, path: str, params: dict[str, str], name: str) -> None:
        self.sent.append((path, params))
        if len(self.sent) > 500:
            self.sent = self.sent[-250:]
        self._post(path, params, name)

    @task(70)
    def cpanet_form(self) -> None:
        known = self._known()
        if known is None:
            self.duplicate()
            return
        click_id, token = known
        params = {"token": token, "click_id": click_id, "order_id": self._order()}
        if random.random() < 0.6:
            params.update(goal="sale", sale_amount=_sale(), currency="USD")
        elif random.random() < 0.15:
            params["status"] = "pending"
        self._new("/postback", params, "/postback (new)")

    @task(4)
    def tune(self) -> None:
        known = self._known()
        if known is None:
            self.duplicate()
            return
        click_id, token = known
        params = {
            "security_token": token,
            "transaction_id": click_id,
            "adv_sub": self._order(),
            "amount": _sale(),
        }
        self._new("/aff_lsr", params, "/aff_lsr (TUNE)")

    @task(4)
    def everflow(self) -> None:
        known = self._known()
        if known is None:
            self.duplicate()
            return
        click_id, token = known
        params = {
            "verification_token": token,
            "transaction_id": click_id,
            "order_id": self._order(),
            "amount": _sale(),
            "adv1": random.choice(["new", "returning"]),
        }
        self._new("/postback", params, "/postback (Everflow)")

    @task(4)
    def voluum(self) -> None:
        known = self._known()
        if known is None:
            self.duplicate()
            return
        click_id, token = known
        params = {
            "token": token,
            "cid": click_id,
            "txid": self._order(),
            "payout": _sale(),
            "status": "approved",
        }
        self._new("/postback", params, "/postback (Voluum)")

    @task(8)
    def duplicate(self) -> None:
        if not self.sent:
            return
        path, params = random.choice(self.sent)
        self._post(path, params, f"{path} (duplicate)", expect="duplicate")

    @task(4)
    def bad_token(self) -> None:
        prefix = "".join(random.choices("0123456789abcdef", k=12))
        token = f"pbk_{prefix}_{''.join(random.choices(BASE62, k=32))}"
        click = _click_id(time.time() - 3600)
        self._post(
            "/postback",
            {"token": token, "click_id": click, "order_id": self._order()},
            "/postback (bad token)",
            "invalid_token",
        )

    @task(6)
    def unknown_click(self) -> None:
        if not Clicks.tokens:
            return
        # Half are an hour old (rejected: unknown_click), half a second old (queued for the click pipeline).
        at = time.time() - (1 if random.random() < 0.5 else 3600)
        params = {"token": random.choice(Clicks.tokens), "click_id": _click_id(at), "order_id": self._order()}
        self._post("/postback", params, "/postback (unknown click)")
