"""Money through the API: deposits, balances, the readable ledger, withdrawals, payout batches and their CSV.

A webmaster's earnings are given by posting a balanced transaction straight into the ledger (what an
approved conversion does); everything after that goes through HTTP.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections import defaultdict
from typing import Any

from network.conversions import policy as finance
from network.errors import ConflictError
from network.ledger import accounts, service
from network.ledger import repository as ledger
from network.ledger.csv_export import safe_cell
from network.ledger.repository import Leg
from network.ledger.schemas import WithdrawalIn
from network.transaction import atomic
from tests.support.client import Client
from tests.support.world import World


async def earn(world: World, minor: int, currency: str = "USD", webmaster_id: int | None = None) -> None:
    webmaster_id = webmaster_id or world.webmaster_id
    async with atomic():
        await ledger.post(
            tenant_id=world.network_id,
            kind="adjustment",
            key=f"test:{uuid.uuid4().hex}",
            legs=[
                Leg(accounts.PAYOUT_COST, currency, -minor),
                Leg(accounts.wm_available(webmaster_id), currency, minor),
            ],
        )


async def assert_balanced(world: World) -> None:
    """Double entry holds: every transaction, and so the whole ledger, sums to zero per currency."""
    per_txn: dict[tuple[int, str], int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for row in await ledger.all_postings(tenant_id=world.network_id):
        per_txn[row["txn"], row["currency"]] += int(row["amount"])
        total[row["currency"]] += int(row["amount"])
    assert total and all(v == 0 for v in total.values()), total
    assert all(v == 0 for v in per_txn.values()), per_txn


async def balance(client: Client, world: World, role: str, currency: str = "USD") -> dict[str, Any]:
    response = await client.get("/api/v1/balance", headers=world.auth(role))
    assert response.status_code == 200, response.text
    holder = {"webmaster": "webmaster", "advertiser": "advertiser"}.get(role, "network")
    rows = [r for r in response.json()[holder] if r["currency"] == currency]
    assert len(rows) == 1, response.text
    row: dict[str, Any] = rows[0]
    return row


async def withdraw(client: Client, world: World, amount: str, **extra: Any) -> Any:
    return await client.post(
        "/api/v1/withdrawals",
        json={"amount": amount, "currency": "USD", **extra},
        headers=world.auth("webmaster"),
    )


async def staff_post(client: Client, world: World, path: str, body: dict[str, Any] | None = None) -> Any:
    return await client.post(path, json=body, headers=world.auth("staff"))


def assert_problem(response: Any, status: int, text: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert text in body["detail"], body
    return body


async def test_a_deposit_becomes_the_advertisers_prepaid_balance(client: Client, world: World) -> None:
    url = f"/api/v1/advertisers/{world.advertiser_id}/deposits"
    body = {"amount": "250.00", "currency": "USD", "note": "wire", "reference": "bank-7781"}
    first = await staff_post(client, world, url, body)
    assert first.status_code == 201, first.text
    assert first.json()["prepaid"] == "250.00" and first.json()["duplicate"] is False
    # A retry with the same reference posts nothing twice; the same reference for another amount is refused.
    again = await staff_post(client, world, url, body)
    assert again.status_code == 201 and again.json()["duplicate"] is True
    assert again.json()["transaction_id"] == first.json()["transaction_id"]
    assert_problem(await staff_post(client, world, url, {**body, "amount": "25.00"}), 409, "bank-7781")
    # Without a reference every deposit is new.
    plain = await client.post(
        url, json={"amount": "0.50", "currency": "USD"}, headers=world.auth("network_admin")
    )
    assert plain.status_code == 201 and plain.json()["prepaid"] == "250.50"

    assert (await balance(client, world, "advertiser"))["prepaid"] == "250.50"
    network = await balance(client, world, "staff")
    assert network["cash"] == "-250.50" and network["margin"] == "0.00"

    for bad, status in (("0", 422), ("0.00", 422), ("0.001", 422), ("-5", 400), ("1e3", 400), ("abc", 400)):
        assert_problem(await staff_post(client, world, url, {"amount": bad, "currency": "USD"}), status)
    assert_problem(await staff_post(client, world, url, {"amount": "1", "currency": "XXX"}), 422, "currency")
    assert_problem(await staff_post(client, world, url, {"amount": "1"}), 400)
    denied = await client.post(url, json=body, headers=world.auth("advertiser"))
    assert_problem(denied, 403)

    entries = (await client.get("/api/v1/ledger", headers=world.auth("advertiser"))).json()
    assert entries["total"] == 2
    assert [e["amount"] for e in entries["items"]] == ["0.50", "250.00"]
    assert {e["kind"] for e in entries["items"]} == {"deposit"}
    assert {e["account"] for e in entries["items"]} == {accounts.adv_prepaid(world.advertiser_id)}
    assert "bank-7781" in entries["items"][1]["memo"]
    audit = await client.get(
        "/api/v1/audit", params={"action": "ledger.deposit"}, headers=world.auth("staff")
    )
    assert audit.json()["total"] == 2
    await assert_balanced(world)


async def test_a_withdrawal_moves_money_from_available_to_in_flight(client: Client, world: World) -> None:
    await earn(world, 1000)
    before = await balance(client, world, "webmaster")
    assert before == {
        "webmaster_id": world.webmaster_id,
        "currency": "USD",
        "pending": "0.00",
        "available": "10.00",
        "in_flight": "0.00",
    }
    small = await withdraw(client, world, "0.01", details="wallet T9zq")
    assert small.status_code == 201, small.text
    out = small.json()
    assert out["status"] == "requested" and out["amount"] == "0.01" and out["details"] == "wallet T9zq"
    assert out["seconds_to_paid"] is None and out["batch_id"] is None and out["requested_at"]
    after = await balance(client, world, "webmaster")
    assert (after["available"], after["in_flight"]) == ("9.99", "0.01")

    too_much = assert_problem(await withdraw(client, world, "10.00"), 409, "insufficient funds")
    assert too_much["available"] == "9.99" and too_much["requested"] == "10.00"
    assert (await balance(client, world, "webmaster"))["available"] == "9.99"
    # The currency defaults to the network's; fractions below the minor unit are refused, not rounded.
    rest = await client.post("/api/v1/withdrawals", json={"amount": "9.99"}, headers=world.auth("webmaster"))
    assert rest.status_code == 201 and rest.json()["currency"] == "USD"
    assert_problem(await withdraw(client, world, "0.001"), 422)
    assert_problem(await withdraw(client, world, "0"), 422)
    final = await balance(client, world, "webmaster")
    assert (final["available"], final["in_flight"]) == ("0.00", "10.00")

    mine = (await client.get("/api/v1/ledger", headers=world.auth("webmaster"))).json()
    assert {e["account"] for e in mine["items"]} == {
        accounts.wm_available(world.webmaster_id),
        accounts.wm_in_flight(world.webmaster_id),
    }
    assert mine["items"][0]["withdrawal_id"] == rest.json()["id"] and mine["items"][0]["kind"] == "withdrawal"
    assert_problem(
        await client.get("/api/v1/ledger", params={"account": "net:"}, headers=world.auth("webmaster")), 422
    )
    await assert_balanced(world)


async def test_concurrent_withdrawals_cannot_spend_the_balance_twice(client: Client, world: World) -> None:
    # Through the service: the test client hands requests to the app one at a time, so it cannot race them.
    await earn(world, 500)
    wm = world.principals["webmaster"]
    results = await asyncio.gather(
        *(service.request_withdrawal(wm, WithdrawalIn(amount="5.00")) for _ in range(4)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(refused) == 3 and "insufficient funds" in refused[0].detail, results
    final = await balance(client, world, "webmaster")
    assert (final["available"], final["in_flight"]) == ("0.00", "5.00")
    await assert_balanced(world)


async def test_the_networks_minimum_withdrawal_applies(client: Client, world: World) -> None:
    await earn(world, 2000)
    assert (await withdraw(client, world, "0.01")).status_code == 201  # no minimum by default
    policy, _ = await finance.load(world.network_id)
    policy.min_withdrawal = "5"
    await finance.save(world.network_id, policy)
    body = assert_problem(await withdraw(client, world, "4.99"), 422, "5 USD")
    assert body["min_withdrawal"] == "5"
    assert (await withdraw(client, world, "5.00")).status_code == 201


async def test_rejecting_returns_the_money(client: Client, world: World) -> None:
    await earn(world, 300)
    created = (await withdraw(client, world, "3.00")).json()
    url = f"/api/v1/withdrawals/{created['id']}"
    assert_problem(await staff_post(client, world, url + "/reject", {"reason": "   "}), 422, "reason")
    assert_problem(await staff_post(client, world, url + "/reject", {}), 400)
    assert_problem(
        await client.post(url + "/reject", json={"reason": "x"}, headers=world.auth("webmaster")), 403
    )
    rejected = await staff_post(client, world, url + "/reject", {"reason": "details do not match your KYC"})
    assert rejected.status_code == 200, rejected.text
    assert (
        rejected.json()["status"] == "rejected"
        and rejected.json()["reason"] == "details do not match your KYC"
    )
    after = await balance(client, world, "webmaster")
    assert (after["available"], after["in_flight"]) == ("3.00", "0.00")
    assert_problem(await staff_post(client, world, url + "/reject", {"reason": "again"}), 409, "rejected")
    twice = assert_problem(await staff_post(client, world, url + "/approve"), 409, "only a requested")
    assert twice["type"].endswith("/invalid-transition")
    listed = await client.get(
        "/api/v1/withdrawals", params={"status": "rejected"}, headers=world.auth("webmaster")
    )
    assert [w["id"] for w in listed.json()["items"]] == [created["id"]]
    audit = await client.get(
        "/api/v1/audit",
        params={"entity": "withdrawal", "entity_id": str(created["id"])},
        headers=world.auth("staff"),
    )
    assert [a["action"] for a in audit.json()["items"]] == ["withdrawal.rejected", "withdrawal.requested"]
    await assert_balanced(world)


async def test_approve_batch_export_and_pay(client: Client, world: World) -> None:
    await earn(world, 5000)
    first = (await withdraw(client, world, "10.00", details='=HYPERLINK("http://evil.example","x")')).json()
    second = (await withdraw(client, world, "5.00", details="@SUM(1+1)")).json()
    kept = (await withdraw(client, world, "1.00", details="IBAN DE00")).json()

    approved = await staff_post(client, world, f"/api/v1/withdrawals/{first['id']}/approve")
    assert approved.status_code == 200, approved.text
    batch_id = approved.json()["batch_id"]
    assert approved.json()["status"] == "approved" and approved.json()["approved_at"] and batch_id
    assert_problem(
        await staff_post(client, world, f"/api/v1/withdrawals/{first['id']}/approve"), 409, "approved"
    )
    assert_problem(
        await client.post(f"/api/v1/withdrawals/{second['id']}/approve", headers=world.auth("webmaster")), 403
    )
    again = await staff_post(client, world, f"/api/v1/withdrawals/{second['id']}/approve")
    assert again.json()["batch_id"] == batch_id

    batch = (await client.get(f"/api/v1/payout-batches/{batch_id}", headers=world.auth("staff"))).json()
    assert batch["status"] == "open" and batch["withdrawal_count"] == 2
    assert batch["totals"] == [{"currency": "USD", "amount": "15.00", "count": 2}]
    assert batch["seconds_to_paid_max"] is None and batch["seconds_to_paid_median"] is None
    listed = await client.get(
        "/api/v1/payout-batches", params={"status": "open"}, headers=world.auth("staff")
    )
    assert [b["id"] for b in listed.json()["items"]] == [batch_id]

    exported = await client.get(f"/api/v1/payout-batches/{batch_id}/csv", headers=world.auth("staff"))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert f"payout-batch-{batch_id}.csv" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == [
        "withdrawal_id",
        "webmaster_id",
        "webmaster_name",
        "amount",
        "currency",
        "details",
        "requested_at",
        "approved_at",
    ]
    assert [r[0] for r in rows[1:]] == [str(first["id"]), str(second["id"])]
    assert rows[1][1:6] == [
        str(world.webmaster_id),
        f"webmaster {world.tag}",
        "10.00",
        "USD",
        '\'=HYPERLINK("http://evil.example","x")',
    ]
    assert rows[2][5] == "'@SUM(1+1)" and rows[2][6] and rows[2][7]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    paid = await staff_post(client, world, f"/api/v1/payout-batches/{batch_id}/paid")
    assert paid.status_code == 200, paid.text
    out = paid.json()
    assert out["status"] == "paid" and out["paid_at"]
    assert {w["status"] for w in out["withdrawals"]} == {"paid"}
    waits = [w["seconds_to_paid"] for w in out["withdrawals"]]
    assert all(w is not None and 0 <= w < 600 for w in waits)
    assert out["seconds_to_paid_max"] == max(waits) and out["seconds_to_paid_median"] is not None

    after = await balance(client, world, "webmaster")
    assert (after["available"], after["in_flight"]) == ("34.00", "1.00")
    assert (await balance(client, world, "staff"))["cash"] == "15.00"
    assert_problem(await staff_post(client, world, f"/api/v1/payout-batches/{batch_id}/paid"), 409, "paid")
    assert_problem(
        await staff_post(client, world, f"/api/v1/withdrawals/{first['id']}/reject", {"reason": "late"}), 409
    )
    # The paid batch is closed: the next approval opens a new one, and paying it empties in_flight.
    later = (await staff_post(client, world, f"/api/v1/withdrawals/{kept['id']}/approve")).json()
    assert later["batch_id"] != batch_id
    assert (
        await staff_post(client, world, f"/api/v1/payout-batches/{later['batch_id']}/paid")
    ).status_code == 200
    final = await balance(client, world, "webmaster")
    assert (final["available"], final["in_flight"]) == ("34.00", "0.00")
    mine = (await client.get("/api/v1/withdrawals", headers=world.auth("webmaster"))).json()
    assert {w["status"] for w in mine["items"]} == {"paid"} and mine["total"] == 3
    staff_ledger = await client.get(
        "/api/v1/ledger", params={"account": "net:cash", "limit": 10}, headers=world.auth("staff")
    )
    assert [e["amount"] for e in staff_ledger.json()["items"]] == ["1.00", "5.00", "10.00"]
    await assert_balanced(world)


async def test_an_empty_batch_cannot_be_paid(client: Client, world: World) -> None:
    await earn(world, 100)
    created = (await withdraw(client, world, "1.00")).json()
    batch_id = (await staff_post(client, world, f"/api/v1/withdrawals/{created['id']}/approve")).json()[
        "batch_id"
    ]
    # Rejected out of the open batch: the money returns and the batch has nothing left to pay.
    out = await staff_post(client, world, f"/api/v1/withdrawals/{created['id']}/reject", {"reason": "fraud"})
    assert out.json()["batch_id"] is None
    assert_problem(
        await staff_post(client, world, f"/api/v1/payout-batches/{batch_id}/paid"), 409, "no withdrawals"
    )
    assert (await balance(client, world, "webmaster"))["available"] == "1.00"
    await assert_balanced(world)


async def test_who_sees_what(client: Client, world: World, other_world: World) -> None:
    await earn(world, 1000)
    await earn(world, 700, webmaster_id=world.other_webmaster_id)
    created = (await withdraw(client, world, "2.00")).json()
    assert_problem(await client.get("/api/v1/withdrawals", headers=world.auth("advertiser")), 403)
    assert_problem(await client.get("/api/v1/payout-batches", headers=world.auth("webmaster")), 403)
    assert_problem(await withdraw(client, other_world, "1.00"), 409, "insufficient")
    foreign = await client.post(
        f"/api/v1/withdrawals/{created['id']}/approve", headers=other_world.auth("staff")
    )
    assert_problem(foreign, 404)
    theirs = await client.get("/api/v1/withdrawals", headers=other_world.auth("staff"))
    assert theirs.json()["total"] == 0
    ours = await client.get(
        "/api/v1/withdrawals", params={"webmaster_id": world.webmaster_id}, headers=world.auth("staff")
    )
    assert [w["id"] for w in ours.json()["items"]] == [created["id"]]
    # A webmaster's ledger holds its own accounts only, never another webmaster's or the network's.
    mine = (await client.get("/api/v1/ledger", headers=world.auth("webmaster"))).json()
    assert (
        all(e["account"].startswith(f"wm:{world.webmaster_id}:") for e in mine["items"])
        and mine["total"] == 3
    )
    other = (await client.get("/api/v1/ledger", headers=other_world.auth("staff"))).json()
    assert other["total"] == 0
    network = (await client.get("/api/v1/balance", headers=world.auth("staff"))).json()
    assert network["webmaster"] == [] and network["network"][0]["payout_cost"] == "-17.00"
    assert network["network"][0]["margin"] == "-17.00"
    advertiser = (await client.get("/api/v1/balance", headers=world.auth("advertiser"))).json()
    assert advertiser["advertiser"] == [
        {"advertiser_id": world.advertiser_id, "currency": "USD", "prepaid": "0.00"}
    ]
    await assert_balanced(world)


def test_csv_cells_that_look_like_formulas_are_defused() -> None:
    for formula in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert safe_cell(formula) == "'" + formula
    for text in ("plain", "10.00", "", "a=b"):
        assert safe_cell(text) == text
    assert safe_cell(None) == "" and safe_cell(42) == "42"
