from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import JSONBody, QueryParameter

from network.http.auth import roles
from network.http.deps import PrincipalDep
from network.ledger import service
from network.ledger.schemas import (
    BalanceOut,
    DepositIn,
    DepositOut,
    LedgerEntryOut,
    PayoutBatchDetailOut,
    PayoutBatchOut,
    RejectIn,
    WithdrawalIn,
    WithdrawalOut,
)
from network.pagination import LimitParam, OffsetParam, Page
from network.principal import Role
from network.types import MAX_ID, IdPath

A, S, ADV, WM = Role.NETWORK_ADMIN, Role.STAFF, Role.ADVERTISER, Role.WEBMASTER

AccountPrefix = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^[a-z0-9:_]{1,64}$", description="Only accounts starting with this, e.g. wm:12:"
    ),
]
WithdrawalStatus = Annotated[str | None, QueryParameter(pattern=r"^(requested|approved|paid|rejected)$")]
BatchStatus = Annotated[str | None, QueryParameter(pattern=r"^(open|paid)$")]
WebmasterFilter = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="Staff only.")]


class LedgerController(Controller):
    path = "/api/v1"
    tags = ["ledger"]

    @get("/balance", operation_id="balance_get")
    async def balance(self, principal: PrincipalDep) -> BalanceOut:
        """Your balances per currency, summed from the ledger: a webmaster's pending / available / in_flight,
        an advertiser's prepaid, or (staff) the network's revenue, costs, cash and margin."""
        return await service.balance(principal)

    @get("/ledger", operation_id="ledger_list")
    async def ledger(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        account: AccountPrefix = None,
    ) -> Page[LedgerEntryOut]:
        """Postings on your own accounts (staff: every account), newest first."""
        return await service.ledger(principal, account=account, limit=limit, offset=offset)

    @post(
        "/advertisers/{advertiser_id:int}/deposits",
        operation_id="advertiser_deposit",
        opt=roles(A, S),
        status_code=201,
    )
    async def deposit(
        self, principal: PrincipalDep, advertiser_id: IdPath, data: JSONBody[DepositIn]
    ) -> DepositOut:
        """Record money received from an advertiser into its prepaid balance. Send your payment's
        ``reference``: a retry with the same one posts nothing twice."""
        return await service.deposit(principal, advertiser_id, data)


class WithdrawalController(Controller):
    path = "/api/v1/withdrawals"
    tags = ["withdrawals"]

    @post("/", operation_id="withdrawal_create", opt=roles(WM), status_code=201)
    async def create(self, principal: PrincipalDep, data: JSONBody[WithdrawalIn]) -> WithdrawalOut:
        """Ask to be paid any amount up to your available balance (and at least the network's minimum)."""
        return await service.request_withdrawal(principal, data)

    @get("/", operation_id="withdrawals_list", opt=roles(A, S, WM))
    async def list_withdrawals(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        status: WithdrawalStatus = None,
        webmaster_id: WebmasterFilter = None,
    ) -> Page[WithdrawalOut]:
        """Webmasters see their own withdrawals, staff everyone's; newest first."""
        return await service.list_withdrawals(
            principal, status=status, webmaster_id=webmaster_id, limit=limit, offset=offset
        )

    @post("/{withdrawal_id:int}/approve", operation_id="withdrawal_approve", opt=roles(A, S), status_code=200)
    async def approve(self, principal: PrincipalDep, withdrawal_id: IdPath) -> WithdrawalOut:
        """Accept a requested withdrawal: it joins the open payout batch (opened if there is none)."""
        return await service.approve(principal, withdrawal_id)

    @post("/{withdrawal_id:int}/reject", operation_id="withdrawal_reject", opt=roles(A, S), status_code=200)
    async def reject(
        self, principal: PrincipalDep, withdrawal_id: IdPath, data: JSONBody[RejectIn]
    ) -> WithdrawalOut:
        """Refuse a withdrawal that is not paid yet, with a reason; the money returns to available."""
        return await service.reject(principal, withdrawal_id, data)


class PayoutBatchController(Controller):
    path = "/api/v1/payout-batches"
    tags = ["withdrawals"]

    @get("/", operation_id="payout_batches_list", opt=roles(A, S))
    async def list_batches(
        self,
        principal: PrincipalDep,
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
        status: BatchStatus = None,
    ) -> Page[PayoutBatchOut]:
        return await service.list_batches(principal, status=status, limit=limit, offset=offset)

    @get("/{batch_id:int}", operation_id="payout_batch_get", opt=roles(A, S))
    async def get_batch(self, principal: PrincipalDep, batch_id: IdPath) -> PayoutBatchDetailOut:
        """A batch with its withdrawals and the request-to-paid time (max and median) once paid."""
        return await service.get_batch(principal, batch_id)

    @get("/{batch_id:int}/csv", operation_id="payout_batch_csv", opt=roles(A, S), media_type="text/csv")
    async def csv(self, principal: PrincipalDep, batch_id: IdPath) -> Response[str]:
        """The batch's withdrawals as CSV for the payment run."""
        body = await service.batch_csv(principal, batch_id)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="payout-batch-{batch_id}.csv"'},
        )

    @post("/{batch_id:int}/paid", operation_id="payout_batch_pay", opt=roles(A, S), status_code=200)
    async def pay(self, principal: PrincipalDep, batch_id: IdPath) -> PayoutBatchDetailOut:
        """Record the batch as paid: every withdrawal in it becomes paid and leaves in_flight."""
        return await service.pay_batch(principal, batch_id)
