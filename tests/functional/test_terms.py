"""Offer terms: immutable versions, pinning, scopes, acceptance, dry-run, backtest, diff, validation."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from network.accounts import service as accounts
from network.accounts.schemas import GroupCreate
from network.terms import service as terms
from network.terms.tables import TermsVersion
from rules import TermsProgram
from tests.support.client import Client
from tests.support.world import World, terms_payload

PERCENT = {"*": [{"var": "conversion.sale_amount"}, 0.12]}


def _url(world: World, suffix: str = "") -> str:
    return f"/api/v1/offers/{world.offers['public']}/terms{suffix}"


async def test_publishing_never_changes_an_old_version(client: Client, world: World) -> None:
    before = await TermsVersion.select().where(TermsVersion.id == world.terms["current"]).first()
    response = await client.post(
        _url(world),
        json={"rules": {"payout": 11, "revenue": 15}, "note": "edit"},
        headers=world.auth("advertiser"),
    )
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["number"] == 3 and new["id"] != world.terms["current"] and new["state"] == "in_force"
    after = await TermsVersion.select().where(TermsVersion.id == world.terms["current"]).first()
    assert after == before
    with pytest.raises(Exception, match="append-only"):
        await TermsVersion.update({TermsVersion.rules: '{"payout":999}'}).where(
            TermsVersion.id == world.terms["current"]
        )
    states = {
        v["id"]: v["state"] for v in (await client.get(_url(world), headers=world.auth("staff"))).json()
    }
    assert states == {
        world.terms["current"]: "superseded",
        world.terms["upcoming"]: "upcoming",
        new["id"]: "in_force",
    }


async def test_a_conversion_is_priced_with_the_version_pinned_at_click_time(
    world: World, client: Client
) -> None:
    offer = world.offers["public"]
    click_time = datetime.now(UTC)
    pinned = await terms.pin(
        tenant_id=world.network_id, offer_id=offer, webmaster_id=world.webmaster_id, at=click_time
    )
    assert pinned is not None and pinned == world.terms["current"]
    # Terms change after the click: payout doubles from now on.
    adv = world.principals["advertiser"]
    await terms.publish(adv, offer, terms_payload(payout=20, revenue=30))
    context = {"goal": "lead", "webmaster": {"id": world.webmaster_id}}
    old = await terms.price(tenant_id=world.network_id, version_id=pinned, context=context)
    assert old.payout == Decimal("10.00") and old.revenue == Decimal("15.00")
    repinned = await terms.pin(
        tenant_id=world.network_id, offer_id=offer, webmaster_id=world.webmaster_id, at=datetime.now(UTC)
    )
    assert repinned is not None and repinned != pinned
    new = await terms.price(tenant_id=world.network_id, version_id=repinned, context=context)
    assert new.payout == Decimal("20.00")
    # The upcoming version (in seven days) pins only for clicks made after its date.
    later = await terms.pin(
        tenant_id=world.network_id,
        offer_id=offer,
        webmaster_id=world.webmaster_id,
        at=datetime.now(UTC) + timedelta(days=8),
    )
    assert later == world.terms["upcoming"]


async def test_private_deals_and_group_terms_win_over_offer_terms(client: Client, world: World) -> None:
    offer = world.offers["public"]
    staff, adv = world.principals["staff"], world.principals["advertiser"]
    group = await accounts.create_group(staff, GroupCreate(key="gold", name="Gold"))
    await accounts.set_group_member(staff, group.id, world.webmaster_id, member=True)
    grouped = await terms.publish(staff, offer, terms_payload(payout=13, revenue=15, group_id=group.id))
    now = datetime.now(UTC)
    pin = await terms.pin(tenant_id=world.network_id, offer_id=offer, webmaster_id=world.webmaster_id, at=now)
    assert pin == grouped.id
    other = await terms.pin(
        tenant_id=world.network_id, offer_id=offer, webmaster_id=world.other_webmaster_id, at=now
    )
    assert other == world.terms["current"]
    deal = await terms.publish(
        adv, offer, terms_payload(payout=14, revenue=15, webmaster_id=world.webmaster_id)
    )
    assert (
        await terms.pin(
            tenant_id=world.network_id, offer_id=offer, webmaster_id=world.webmaster_id, at=datetime.now(UTC)
        )
        == deal.id
    )
    # A newer offer-wide version does not override a private deal.
    await terms.publish(adv, offer, terms_payload(payout=16, revenue=20))
    assert (
        await terms.pin(
            tenant_id=world.network_id, offer_id=offer, webmaster_id=world.webmaster_id, at=datetime.now(UTC)
        )
        == deal.id
    )
    # Advertisers cannot target the network's groups.
    response = await client.post(
        _url(world),
        json={"rules": {"payout": 1, "revenue": 2}, "group_id": group.id},
        headers=world.auth("advertiser"),
    )
    assert response.status_code == 403
    # The other webmaster sees neither the group terms nor the private deal.
    listed = (await client.get(_url(world), headers=world.auth("webmaster"))).json()
    assert {v["scope"] for v in listed} == {"offer", "group", "webmaster"}


async def test_webmasters_see_upcoming_changes_without_revenue(client: Client, world: World) -> None:
    mine = (await client.get("/api/v1/my/terms", headers=world.auth("webmaster"))).json()
    offer = next(item for item in mine if item["offer_id"] == world.offers["public"])
    assert offer["in_force"]["id"] == world.terms["current"]
    assert offer["in_force"]["rules"] == {"payout": 10, "hold_days": 0, "status": None}
    assert [u["id"] for u in offer["upcoming"]] == [world.terms["upcoming"]]
    upcoming_date = datetime.fromisoformat(offer["upcoming"][0]["effective_from"])
    assert timedelta(days=6) < upcoming_date - datetime.now(UTC) < timedelta(days=8)
    listed = (await client.get(_url(world), headers=world.auth("webmaster"))).json()
    assert all("revenue" not in v["rules"] for v in listed)
    staff_view = (await client.get(_url(world), headers=world.auth("staff"))).json()
    assert staff_view[0]["rules"]["revenue"] == 15


async def test_acceptance_is_recorded_once(client: Client, world: World) -> None:
    url = _url(world, f"/{world.terms['upcoming']}/acceptance")
    until = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    accepted = await client.post(url, json={"valid_until": until}, headers=world.auth("webmaster"))
    assert accepted.status_code == 201 and accepted.json()["valid_until"]
    assert (await client.post(url, json={}, headers=world.auth("webmaster"))).status_code == 409
    mine = (await client.get("/api/v1/my/terms", headers=world.auth("webmaster"))).json()
    offer = next(item for item in mine if item["offer_id"] == world.offers["public"])
    assert offer["upcoming"][0]["accepted_at"]
    audit = (
        await client.get("/api/v1/audit", params={"action": "terms.accepted"}, headers=world.auth("staff"))
    ).json()
    assert audit["total"] == 1


async def test_exact_money_through_the_api(client: Client, world: World) -> None:
    body = {"rules": {"payout": PERCENT, "revenue": {"+": [0.1, 0.2]}, "hold_days": 14}}
    assert (await client.post(_url(world), json=body, headers=world.auth("advertiser"))).status_code == 201
    run = await client.post(
        _url(world, "/dry-run"),
        json={"rules": body["rules"], "context": {"conversion": {"sale_amount": 123.45}}},
        headers=world.auth("advertiser"),
    )
    assert run.status_code == 200, run.text
    assert (
        run.json()["payout"] == "14.81" and run.json()["revenue"] == "0.30" and run.json()["hold_days"] == 14
    )
    listed = (await client.get(_url(world), headers=world.auth("advertiser"))).json()
    assert listed[-1]["rules"]["payout"] == {"*": [{"var": "conversion.sale_amount"}, 0.12]}


async def test_dry_run_returns_a_trace(client: Client, world: World) -> None:
    rules = {
        "payout": {
            "if": [
                {"in": [{"var": "click.country"}, ["US", "GB"]]},
                20,
                {"==": [{"var": "goal"}, "sale"]},
                8,
                5,
            ]
        },
        "revenue": 30,
        "status": {
            "if": [{"<": [{"var": "conversion.ctct_seconds"}, 5]}, ["reject", "below_min_ctct"], None]
        },
    }
    run = await client.post(
        _url(world, "/dry-run"),
        json={
            "rules": rules,
            "context": {"click": {"country": "DE"}, "goal": "sale", "conversion": {"ctct_seconds": 2}},
        },
        headers=world.auth("staff"),
    )
    body = run.json()
    assert body["payout"] == "8.00" and body["status"] == "reject" and body["reason"] == "below_min_ctct"
    fired = {(step["pointer"], step["branch"]) for step in body["trace"] if step["op"] == "if"}
    assert ("/payout", 3) in fired and ("/status", 1) in fired
    stored = await client.post(
        _url(world, "/dry-run"),
        json={"version_id": world.terms["current"], "context": {}},
        headers=world.auth("advertiser"),
    )
    assert stored.json()["payout"] == "10.00"


async def test_backtest_totals_equal_the_sum_of_evaluations(client: Client, world: World) -> None:
    samples = [
        {"webmaster": {"id": w}, "goal": g, "conversion": {"sale_amount": a}, "click": {"country": c}}
        for w, g, a, c in [
            (1, "lead", 10.5, "US"),
            (2, "sale", 99.99, "DE"),
            (1, "sale", 0.01, "GB"),
            (3, "lead", 250, "US"),
        ]
    ]
    draft = {
        "payout": {"if": [{"==": [{"var": "click.country"}, "US"]}, PERCENT, 3]},
        "revenue": {"+": [PERCENT, 1]},
    }
    response = await client.post(
        _url(world, "/backtest"), json={"draft": draft, "samples": samples}, headers=world.auth("advertiser")
    )
    assert response.status_code == 200, response.text
    report = response.json()
    program = TermsProgram.from_rules(
        **{k: json.loads(json.dumps(v), parse_float=Decimal) for k, v in draft.items()}
    )
    exact = [json.loads(json.dumps(s), parse_float=Decimal) for s in samples]
    expected = sum((program.evaluate(s).payout for s in exact), Decimal(0))
    assert Decimal(report["totals"]["draft_payout"]) == expected
    assert Decimal(report["totals"]["current_payout"]) == Decimal("40.00")
    per = {row["webmaster_id"]: Decimal(row["draft_payout"]) for row in report["by_webmaster"]}
    assert sum(per.values()) == expected and set(per) == {1, 2, 3}
    assert report["against_version_id"] == world.terms["current"]


async def test_diff_of_two_versions(client: Client, world: World) -> None:
    response = await client.get(
        _url(world, "/diff"),
        params={"from_version": world.terms["current"], "to_version": world.terms["upcoming"]},
        headers=world.auth("advertiser"),
    )
    changes = {c["pointer"]: (c["before"], c["after"]) for c in response.json()["changes"]}
    assert changes == {"/payout": (10, 12), "/revenue": (15, 16)}


@pytest.mark.parametrize(
    ("rules", "pointer", "code"),
    [
        ({"payout": {"iff": [1, 2, 3]}, "revenue": 1}, "/payout", "unknown_operator"),
        ({"payout": {"var": "click.nope"}, "revenue": 1}, "/payout/var", "unknown_variable"),
        ({"payout": 1, "revenue": 1, "hold_days": 400}, "/hold_days", "wrong_result_type"),
        ({"payout": -5, "revenue": 1}, "/payout", "wrong_result_type"),
        ({"payout": 1, "revenue": 1, "status": "maybe"}, "/status", "wrong_result_type"),
    ],
)
async def test_bad_rules_are_refused_with_pointers(
    client: Client, world: World, rules: dict[str, object], pointer: str, code: str
) -> None:
    saved = await client.post(_url(world), json={"rules": rules}, headers=world.auth("advertiser"))
    assert saved.status_code == 422
    problems = saved.json()["problems"]
    assert any(p["pointer"].startswith(pointer) and p["code"] == code for p in problems), problems
    checked = (
        await client.post("/api/v1/terms/validate", json=rules, headers=world.auth("advertiser"))
    ).json()
    assert checked["valid"] is False and checked["problems"] == problems


async def test_deep_and_huge_rules_are_refused_quickly(client: Client, world: World) -> None:
    deep = '{"+":[' * 10_000 + "1" + "]}" * 10_000
    response = await client.post(
        "/api/v1/terms/validate",
        content=f'{{"payout": {deep}, "revenue": 1}}',
        headers={**world.auth("advertiser"), "content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    wide = {"payout": {"+": list(range(100_000))}, "revenue": 1}
    checked = await client.post("/api/v1/terms/validate", json=wide, headers=world.auth("advertiser"))
    assert checked.status_code == 200 and checked.json()["valid"] is False
    assert checked.json()["problems"][0]["code"] == "too_many_nodes"


async def test_no_retroactive_terms(client: Client, world: World) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    response = await client.post(
        _url(world),
        json={"rules": {"payout": 1, "revenue": 1}, "effective_from": past},
        headers=world.auth("advertiser"),
    )
    assert response.status_code == 422 and "retroactive" in response.json()["detail"]


def _run_with_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, bytes]:
    """Run a command with stderr on a pseudo-terminal (the progress bar only draws on a terminal)."""
    master, slave = os.openpty()
    result = subprocess.run(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=slave, text=True, check=False
    )
    os.close(slave)
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    return result.returncode, result.stdout, drawn


async def test_cli_backtest_with_progress_bar(database_url: str, world: World, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "CPANET_DATABASE_URL": database_url}
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"payout": {"*": [{"var": "conversion.sale_amount"}, 0.1]}, "revenue": 9}))
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        "\n".join(
            json.dumps({"webmaster": {"id": i % 7}, "conversion": {"sale_amount": i}}) for i in range(1, 2501)
        )
    )
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
        "--samples",
        str(samples),
    ]
    code, stdout, drawn = await asyncio.to_thread(_run_with_terminal, args, root, env)
    assert code == 0, drawn.decode()
    report = json.loads(stdout)
    assert report["totals"]["count"] == 2500
    assert Decimal(report["totals"]["draft_payout"]) == sum(Decimal(i) / 10 for i in range(1, 2501))
    assert Decimal(report["totals"]["current_payout"]) == Decimal(10) * 2500
    assert b"backtesting" in drawn and b"100%" in drawn
    other = await asyncio.to_thread(
        _run_with_terminal, [*args[:6], "demo-does-not-exist", *args[7:]], root, env
    )
    assert other[0] != 0 and b"no network" in other[2]
