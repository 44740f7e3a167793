"""A hypothesis state machine over convert, hold, approve, reject, reverse, withdraw and payout.

After every step: every transaction balances, the whole ledger sums to zero per currency, the balances the
database derives equal a model kept independently here, and replaying the raw postings reproduces them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from network.conversions import lifecycle
from network.conversions.tables import ConversionEvent
from network.errors import ConflictError, DomainError
from network.ledger import accounts
from network.ledger import repository as ledger
from network.ledger import service as ledger_service
from network.ledger.schemas import RejectIn, WithdrawalIn
from network.transaction import atomic
from tests.support.client import Client
from tests.support.conversions import click, credential, fund, postback
from tests.support.world import World

T = TypeVar("T")
PAYOUT, REVENUE = 1000, 1500  # the world's current terms: 10.00 / 15.00 USD, no hold


async def test_ledger_invariants_hold_over_random_histories(client: Client, world: World) -> None:
    loop = asyncio.get_running_loop()
    await fund(world, "100000.00")
    token = (await credential(client, world))["token"]
    staff, wm = world.principals["staff"], world.principals["webmaster"]
    orders = iter(range(10**6))

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)

    async def snapshot() -> dict[tuple[str, str], int]:
        return await ledger.all_balances(tenant_id=world.network_id)

    class Ledger(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.start = run(snapshot())
            self.conversions: dict[int, str] = {}
            self.withdrawals: dict[int, tuple[int, str]] = {}
            self.delta: dict[str, int] = defaultdict(int)

        def _earn(self, status: str, sign: int) -> None:
            if status in {"pending", "hold"}:
                self.delta[accounts.wm_pending(world.webmaster_id)] += sign * PAYOUT
            elif status == "approved":
                self.delta[accounts.wm_available(world.webmaster_id)] += sign * PAYOUT
            else:
                return
            self.delta[accounts.adv_prepaid(world.advertiser_id)] -= sign * REVENUE

        @rule(ask=st.sampled_from(["", "pending", "hold"]))
        def convert(self, ask: str) -> None:
            async def go() -> Any:
                click_id = await click(client, world)
                extra = {"status": ask} if ask else {}
                order = f"sm-{next(orders)}"
                return (await postback(client, token, click_id=click_id, order_id=order, **extra)).json()

            body = run(go())
            assert body["decision"] == "accepted", body
            self.conversions[body["conversion_id"]] = body["status"]
            self._earn(body["status"], +1)

        @rule(data=st.data(), legal=st.integers(0, 4))
        def move(self, data: st.DataObject, legal: int) -> None:
            if not self.conversions:
                return
            conversion_id = data.draw(st.sampled_from(sorted(self.conversions)))
            current = self.conversions[conversion_id]
            # Mostly moves staff may make, sometimes one they may not (it must change nothing).
            everything = ["pending", "hold", "approved", "rejected", "reversed"]
            choices = sorted(lifecycle.STAFF_MOVES.get(current, frozenset())) if legal else everything
            to = data.draw(st.sampled_from(choices or everything))

            async def go() -> Any:
                async with atomic():
                    return await lifecycle.transition(
                        tenant_id=world.network_id,
                        conversion_id=conversion_id,
                        to=to,
                        reason="manual",
                        comment="state machine",
                        actor=staff,
                        expect=current,
                    )

            if lifecycle.allowed(staff, current, to):
                assert run(go()) is not None
                self._earn(current, -1)
                self._earn(to, +1)
                self.conversions[conversion_id] = to
            else:
                with pytest.raises(DomainError):
                    run(go())

        @rule(cents=st.integers(min_value=1, max_value=2500))
        def withdraw(self, cents: int) -> None:
            amount = f"{cents // 100}.{cents % 100:02d}"
            available = (
                self.start.get((accounts.wm_available(world.webmaster_id), "USD"), 0)
                + self.delta[accounts.wm_available(world.webmaster_id)]
            )
            try:
                out = run(ledger_service.request_withdrawal(wm, WithdrawalIn(amount=amount, currency="USD")))
            except ConflictError:
                assert cents > available
                return
            assert cents <= available
            self.withdrawals[out.id] = (cents, "requested")
            self.delta[accounts.wm_available(world.webmaster_id)] -= cents
            self.delta[accounts.wm_in_flight(world.webmaster_id)] += cents

        @rule(data=st.data(), pay=st.booleans())
        def settle_withdrawal(self, data: st.DataObject, pay: bool) -> None:
            waiting = sorted(w for w, (_c, s) in self.withdrawals.items() if s == "requested")
            if not waiting:
                return
            withdrawal_id = data.draw(st.sampled_from(waiting))
            cents = self.withdrawals[withdrawal_id][0]
            if pay:
                approved = run(ledger_service.approve(staff, withdrawal_id))
                assert approved.batch_id is not None
                run(ledger_service.pay_batch(staff, approved.batch_id))
                for other, (c, s) in list(self.withdrawals.items()):
                    if s == "approved" or other == withdrawal_id:
                        self.withdrawals[other] = (c, "paid")
                        self.delta[accounts.wm_in_flight(world.webmaster_id)] -= c
            else:
                run(ledger_service.reject(staff, withdrawal_id, RejectIn(reason="state machine")))
                self.withdrawals[withdrawal_id] = (cents, "rejected")
                self.delta[accounts.wm_in_flight(world.webmaster_id)] -= cents
                self.delta[accounts.wm_available(world.webmaster_id)] += cents

        @invariant()
        def books_balance(self) -> None:
            balances = run(snapshot())
            totals: dict[str, int] = defaultdict(int)
            for (_account, currency), amount in balances.items():
                totals[currency] += amount
            assert all(v == 0 for v in totals.values()), totals
            for account, change in self.delta.items():
                expected = self.start.get((account, "USD"), 0) + change
                assert balances.get((account, "USD"), 0) == expected, (account, balances, self.delta)
            replayed: dict[tuple[str, str], int] = defaultdict(int)
            for posting in run(ledger.all_postings(tenant_id=world.network_id)):
                replayed[posting["account"], posting["currency"]] += int(posting["amount"])
            assert {k: v for k, v in replayed.items() if v} == {k: v for k, v in balances.items() if v}

    budget = settings(
        max_examples=8,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    await asyncio.to_thread(run_state_machine_as_test, Ledger, settings=budget)
    moved = await ConversionEvent.select(ConversionEvent.to_status).where(
        ConversionEvent.network == world.network_id
    )
    # The histories really went through the lifecycle, not just conversions.
    assert len({r["to_status"] for r in moved}) >= 4, moved
    # The balances the database keeps beside the postings (what the balance gate reads) agree with them.
    assert await ledger.verify_balances(tenant_id=world.network_id) == {}
