"""Backtests on an offer's real conversions: each replayed with the exact context it was priced with."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from network.conversions.tables import Conversion
from rules import TermsProgram, parse_rule
from tests.functional.test_terms import _run_with_terminal
from tests.support.client import Client
from tests.support.conversions import CHROME, click, credential, fund, postback
from tests.support.world import World

DRAFT: dict[str, Any] = {
    "payout": {"*": [{"var": "conversion.sale_amount"}, 0.12]},
    "revenue": {"+": [{"*": [{"var": "conversion.sale_amount"}, 0.12]}, 1]},
}
SALES = ("123.45", "0.10", "99.99")


async def _convert(client: Client, world: World, token: str, order: str, sale: str) -> int:
    click_id = await click(client, world, sub1=order)
    answer = await postback(client, token, click_id=click_id, order_id=order, sale_amount=sale)
    assert answer.status_code == 200 and answer.json()["decision"] == "accepted", answer.text
    conversion_id = answer.json()["conversion_id"]
    assert isinstance(conversion_id, int)
    return conversion_id


async def _flagged_conversion(client: Client, world: World, token: str) -> None:
    """A conversion on a fraud-flagged click (the same visitor's second click: a duplicate): stored, not
    billable."""
    links = (
        await client.post(
            f"/api/v1/offers/{world.offers['public']}/links", json={}, headers=world.auth("webmaster")
        )
    ).json()
    host, path = links["cpanet"]["url"].split("://", 1)[1].split("/", 1)
    headers = {"host": host, "user-agent": CHROME, "x-country": "US", "x-forwarded-for": "81.9.9.9"}
    for _ in range(2):
        response = await client.get("/" + path, headers=headers, follow_redirects=False)
        assert response.status_code == 302
    await client.app.state.click_forwarder.drain()
    answer = await postback(
        client, token, click_id=response.headers["x-click-id"], order_id="dup-1", sale_amount="500"
    )
    assert answer.status_code == 200 and answer.json()["decision"] == "rejected", answer.text
    assert answer.json()["conversion_id"] is not None


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


async def test_backtest_replays_real_conversions_exactly(
    client: Client, world: World, other_world: World
) -> None:
    await fund(world, "1000.00")
    token = (await credential(client, world))["token"]
    ids = [await _convert(client, world, token, f"o-{n}", sale) for n, sale in enumerate(SALES)]
    await _flagged_conversion(client, world, token)
    # Another network's conversions never enter this offer's backtest.
    await fund(other_world, "1000.00")
    other_token = (await credential(client, other_world))["token"]
    await _convert(client, other_world, other_token, "elsewhere", "1000")

    # What was stored is what the rules read: exact decimals, the click's country, the webmaster.
    stored = await Conversion.select(Conversion.id, Conversion.pricing_context).where(
        Conversion.id.is_in(ids)
    )
    contexts = {int(r["id"]): parse_rule(r["pricing_context"]) for r in stored}
    assert [contexts[i]["conversion"]["sale_amount"] for i in ids] == [Decimal(s) for s in SALES]
    assert {c["click"]["country"] for c in contexts.values()} == {"US"}
    assert {c["webmaster"]["id"] for c in contexts.values()} == {world.webmaster_id}

    response = await client.post(
        f"/api/v1/offers/{world.offers['public']}/terms/backtest",
        json={"draft": DRAFT, "date_from": _today(), "date_to": _today()},
        headers=world.auth("advertiser"),
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["source"] == "conversions"
    assert report["totals"]["count"] == len(SALES)
    assert report["skipped_not_billable"] == 1 and report["skipped_no_rules"] == 0
    # Totals are the sum of evaluating the draft on each stored context (0.12 x 123.45 = 14.814 -> 14.81).
    program = TermsProgram.from_rules(**{k: parse_rule(json.dumps(v)) for k, v in DRAFT.items()})
    expected = sum((program.evaluate(contexts[i]).payout for i in ids), Decimal(0))
    assert expected == Decimal("14.81") + Decimal("0.01") + Decimal("12.00")
    assert Decimal(report["totals"]["draft_payout"]) == expected
    assert Decimal(report["totals"]["current_payout"]) == Decimal("10.00") * len(SALES)
    assert [(r["webmaster_id"], r["count"]) for r in report["by_webmaster"]] == [
        (world.webmaster_id, len(SALES))
    ]

    # A range with no conversions is an empty report, not an error.
    empty = await client.post(
        f"/api/v1/offers/{world.offers['public']}/terms/backtest",
        json={"draft": DRAFT, "date_from": "2020-01-01", "date_to": "2020-01-31"},
        headers=world.auth("advertiser"),
    )
    assert empty.status_code == 200 and empty.json()["totals"]["count"] == 0


async def test_backtest_asks_for_samples_or_a_date_range(client: Client, world: World) -> None:
    url = f"/api/v1/offers/{world.offers['public']}/terms/backtest"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"draft": DRAFT}, "give date_from and date_to"),
        ({"draft": DRAFT, "samples": [], "date_from": _today(), "date_to": _today()}, "not both"),
        ({"draft": DRAFT, "date_from": "2026-02-01", "date_to": "2026-01-01"}, "before date_from"),
        ({"draft": DRAFT, "date_from": "2024-01-01", "date_to": "2026-01-01"}, "at most 366 days"),
    ]
    for body, message in cases:
        response = await client.post(url, json=body, headers=world.auth("advertiser"))
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert message in response.json()["detail"], response.json()
    # A webmaster cannot backtest.
    refused = await client.post(
        url,
        json={"draft": DRAFT, "date_from": _today(), "date_to": _today()},
        headers=world.auth("webmaster"),
    )
    assert refused.status_code == 403


async def test_cli_backtest_of_past_conversions(
    client: Client, database_url: str, world: World, tmp_path: Path
) -> None:
    await fund(world, "1000.00")
    token = (await credential(client, world))["token"]
    for n, sale in enumerate(SALES):
        await _convert(client, world, token, f"cli-{n}", sale)
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(DRAFT))
    root = Path(__file__).resolve().parents[2]
    args = [
        sys.executable,
        "-m",
        "network.cli",
        "terms",
        "backtest",
        "--network",
        world.slug,
        "--version-id",
        str(world.terms["current"]),
        "--draft",
        str(draft),
        "--date-from",
        _today(),
        "--date-to",
        _today(),
    ]
    env = {**os.environ, "CPANET_DATABASE_URL": database_url}
    code, stdout, drawn = await asyncio.to_thread(_run_with_terminal, args, root, env)
    assert code == 0, drawn.decode()
    report = json.loads(stdout)
    assert report["source"] == "conversions" and report["totals"]["count"] == len(SALES)
    assert Decimal(report["totals"]["draft_payout"]) == Decimal("26.82")
    assert b"backtesting" in drawn and b"100%" in drawn
    both = await asyncio.to_thread(_run_with_terminal, [*args, "--samples", str(draft)], root, env)
    assert both[0] != 0 and b"not both" in both[2]
