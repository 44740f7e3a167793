"""One inbound postback, end to end: authenticate, attribute, price, check, de-duplicate, reserve caps,
write the conversion with its ledger postings, history, audit and outgoing postbacks in one transaction,
log it, and answer with the decision. Never a silent 200.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from network import jsoncol
from network.accounts.tables import Webmaster
from network.audit import service as audit
from network.conversions import cache, caps, ledger_effects, lifecycle, pg, pg_writes, policy
from network.conversions.attribution import (
    Attributed,
    ClickNotStoredYet,
    NotAttributed,
    Prefetched,
    attribute,
    prefetch,
)
from network.conversions.auth import Credential, PostbackAuthError, authenticate
from network.conversions.dialects import PostbackInput, loggable, parse, requested_status
from network.conversions.pricing import Priced, hold_until, price
from network.conversions.tables import Conversion, PostbackLog, QueuedPostback
from network.errors import ValidationError
from network.ledger import accounts
from network.ledger import repository as ledger
from network.money import from_minor, to_minor
from network.offers.tables import Goal, Offer
from network.transaction import atomic
from rules.money import quantize

Row = dict[str, Any]


@dataclass
class Answer:
    decision: str
    reason: str | None = None
    message: str = ""
    http_status: int = 200
    conversion_id: int | None = None
    click_id: str | None = None
    offer_id: int | None = None
    goal: str | None = None
    status: str | None = None
    terms_version: int | None = None
    payout: str | None = None
    currency: str | None = None
    hold_until: datetime | None = None
    attribution: str | None = None


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    params: Mapping[str, str]
    ip: str
    visitor_id: str
    at: datetime


def _sale(data: PostbackInput, currency: str) -> Decimal | None:
    if not data.sale_amount:
        return None
    try:
        value = Decimal(data.sale_amount)
    except InvalidOperation:
        raise ValidationError(f"sale_amount {data.sale_amount!r} is not a number") from None
    if not value.is_finite() or value < 0 or value > Decimal("1e12"):
        raise ValidationError("sale_amount must be a non-negative amount")
    return quantize(value, currency)


async def _goal(offer: Row, key: str) -> str:
    tenant_id, offer_id = int(offer["network"]), int(offer["id"])

    async def load() -> list[Row]:
        rows: list[Row] = (
            await Goal.select(Goal.id, Goal.key)
            .where((Goal.network == tenant_id) & (Goal.offer == offer_id))
            .order_by(Goal.id)
        )
        return rows

    goals = await cache.cached("goals", (tenant_id, offer_id), load)
    if not goals:
        return key
    if not key:
        return str(goals[0]["key"])
    for goal in goals:
        if goal["key"] == key or str(goal["id"]) == key:
            return str(goal["key"])
    raise NotAttributed("unknown_goal", f"goal {key!r} is not a goal of offer {offer['id']}")


async def _referrers(tenant_id: int, webmaster_id: int, levels: int) -> list[int]:
    """The referral chain, nearest first; cached on the postback path (conversions/cache.py)."""
    return await cache.cached(
        "referrers",
        (tenant_id, webmaster_id, levels),
        lambda: _read_referrers(tenant_id, webmaster_id, levels),
    )


async def _read_referrers(tenant_id: int, webmaster_id: int, levels: int) -> list[int]:
    chain: list[int] = []
    current = webmaster_id
    while len(chain) < levels:
        row = (
            await Webmaster.select(Webmaster.referred_by)
            .where((Webmaster.network == tenant_id) & (Webmaster.id == current))
            .first()
        )
        if row is None or row["referred_by"] is None or int(row["referred_by"]) in {*chain, webmaster_id}:
            break
        current = int(row["referred_by"])
        chain.append(current)
    return chain


@dataclass(frozen=True, slots=True)
class _Settled:
    """Everything that decides a new conversion's status, and the columns that follow from it."""

    requested: str | None
    priced: Priced
    payout: int
    revenue: int
    commissions: list[list[int]]
    balance_short: bool
    at: datetime
    timezone: str

    def outcome(self, full_cap: tuple[str, str] | None) -> dict[str, Any]:
        """The status columns; ``full_cap`` is (which cap, the offer's cap policy) when a cap is full."""
        status, reason = _initial_status(self.requested, self.priced)
        detail = self.priced.reject_detail
        billable = status != "rejected"
        if billable and full_cap is not None:
            which, cap_policy = full_cap
            status = "rejected" if cap_policy == "reject" else "hold"
            reason, detail = "cap_reached", f"the offer's {which} cap is reached (policy: {cap_policy})"
            billable = status != "rejected"
        if billable and self.balance_short:
            status, reason = "hold", "advertiser_balance"
            detail = (
                "the advertiser's prepaid balance does not cover this conversion; held until it is funded"
            )
        until = None
        if status == "hold" and reason not in {"cap_reached", "advertiser_balance"}:
            until = hold_until(self.at, self.priced.hold_days, self.timezone)
        return {
            "status": status,
            "reason": reason,
            "reason_detail": detail[:1000],
            "billable": billable,
            "payout": self.payout if billable else 0,
            "revenue": self.revenue if billable else 0,
            "hold_until": until,
            "commissions": jsoncol.dump(self.commissions if billable else []),
            "decided_at": self.at if status in {"approved", "rejected"} else None,
        }


def _initial_status(requested: str | None, priced: Priced) -> tuple[str, str]:
    """(status, reason) before caps and the balance gate."""
    if priced.reject_reason:
        return "rejected", priced.reject_reason
    if priced.rule_status == "reject":
        return "rejected", priced.rule_reason or "terms_rejected"
    if requested == "reject" or requested == "reverse":
        return "rejected", "advertiser_rejected"
    if requested == "pending":
        return "pending", ""
    if requested == "hold" or priced.rule_status == "hold":
        return "hold", priced.rule_reason or ""
    return ("hold", "") if priced.hold_days > 0 else ("approved", "")


def _log_row(
    advertiser_id: int | None, data: PostbackInput, got: Received, answer: Answer
) -> pg_writes.LogRow:
    """The postback log row ``_log`` writes, for pg_writes.record_new."""
    return pg_writes.LogRow(
        advertiser=advertiser_id,
        received_at=got.at,
        dialect=data.dialect,
        ip=got.ip,
        params=jsoncol.dump(loggable(got.params)),
        decision=answer.decision,
        reason=answer.reason or "",
        message=answer.message[:1000],
        http_status=answer.http_status,
        click_id=data.click_id[:64],
    )


async def _log(
    tenant_id: int, advertiser_id: int | None, data: PostbackInput, got: Received, answer: Answer
) -> None:
    await PostbackLog.insert(
        PostbackLog(
            network=tenant_id,
            advertiser=advertiser_id,
            received_at=got.at,
            dialect=data.dialect,
            ip=got.ip,
            params=jsoncol.dump(loggable(got.params)),
            decision=answer.decision,
            reason=answer.reason or "",
            message=answer.message[:1000],
            http_status=answer.http_status,
            click_id=data.click_id[:64],
            conversion=answer.conversion_id,
        )
    )


async def receive(got: Received) -> Answer:
    data = parse(got.path, got.params)
    return await _cached(lambda: _receive(data, got))


async def _cached(run: Callable[[], Awaitable[Answer]]) -> Answer:
    """Run a postback on the newest cached rows (conversions/cache.py). Before it acts on anything it read
    through them (an answer, a log row, a write), the postback confirms their generation, in the same
    statement as its first reads (``_confirmed``) or on its own; when the generation has moved on, nothing
    has been done yet and it starts again on fresh rows."""
    view = cache.newest()
    for _attempt in range(3):
        if view is None:
            view = await cache.current()
        with cache.using(view):
            try:
                return await run()
            except cache.Stale:
                view = None
    with cache.using(None):  # the cached rows keep changing under it: read everything from the database
        return await run()


async def _confirmed(credential: Credential, data: PostbackInput) -> Prefetched | None:
    """Confirm the cache generation (cache.Stale if it moved on), with the postback's first reads when they
    can go in the same statement (PostgreSQL, a well-formed click id)."""
    found = await prefetch(
        tenant_id=credential.network_id, advertiser_id=credential.advertiser_id, click_id=data.click_id
    )
    if found is None:
        await cache.confirm()
        return None
    cache.check(found.generation)
    return found


async def _receive(data: PostbackInput, got: Received) -> Answer:
    try:
        credential = await authenticate(
            token=data.token,
            params=got.params,
            timestamp=data.timestamp,
            signature_value=data.signature,
            ip=got.ip,
            now=time.time(),
        )
    except PostbackAuthError as exc:
        await cache.confirm()  # the refusal may rest on a cached credential row
        answer = Answer("rejected", exc.code, exc.message, exc.status)
        if exc.credential is not None:
            await _log(exc.credential.network_id, exc.credential.advertiser_id, data, got, answer)
        return answer
    return await process(credential, data, got)


async def process(
    credential: Credential, data: PostbackInput, got: Received, *, queued: bool = False
) -> Answer:
    tenant_id = credential.network_id
    prefetched = await _confirmed(credential, data)
    try:
        answer = await _decide(credential, data, got, queued=queued, prefetched=prefetched)
    except ValidationError as exc:
        answer = Answer("rejected", "invalid_parameter", exc.detail, 422)
    if answer.decision not in {"accepted", "updated"} and not (queued and answer.decision == "queued"):
        await _log(tenant_id, credential.advertiser_id, data, got, answer)
    return answer


async def _decide(
    credential: Credential, data: PostbackInput, got: Received, *, queued: bool, prefetched: Prefetched | None
) -> Answer:
    tenant_id = credential.network_id
    try:
        requested = requested_status(data.status)
    except ValueError:
        return Answer("rejected", "invalid_parameter", f"status {data.status!r} is not a status we know", 422)
    finance, net = await policy.load(tenant_id)
    try:
        a = await attribute(
            tenant_id=tenant_id,
            advertiser_id=credential.advertiser_id,
            data=data,
            visitor_id=got.visitor_id,
            now=got.at,
            grace=finance.attribution_grace_seconds,
            prefetched=prefetched,
        )
        goal = await _goal(a.offer, data.goal)
    except ClickNotStoredYet:
        if queued:
            return Answer(
                "queued", "click_not_stored_yet", "still waiting for the click", 202, click_id=data.click_id
            )
        await _queue(credential, got, finance.attribution_grace_seconds)
        return Answer(
            "queued",
            "click_not_stored_yet",
            "the click is recent and not stored yet; the conversion will be attributed as soon as it is "
            "(GET /api/v1/postbacks/log shows the outcome)",
            202,
            click_id=data.click_id,
        )
    except NotAttributed as exc:
        return Answer("rejected", exc.code, exc.message, 200, click_id=data.click_id or None)
    currency = a.offer["currency"]
    if data.currency and data.currency.upper() != currency:
        return Answer(
            "rejected",
            "currency_mismatch",
            f"the offer is priced in {currency}, not {data.currency}",
            200,
            click_id=data.click_id or None,
            offer_id=int(a.offer["id"]),
        )
    sale = _sale(data, currency)
    priced = await price(tenant_id=tenant_id, a=a, data=data, goal=goal, sale=sale, now=got.at, net=net)
    dedup = data.order_id or f"click:{a.click['click_id'] if a.click else data.coupon or data.lead}:{goal}"
    prepaid = None if prefetched is None else prefetched.prepaid
    conversion_id = None if prefetched is None else prefetched.conversion_id
    if conversion_id is not None:
        done = await _write_at_once(
            credential,
            data,
            got,
            a,
            goal,
            sale,
            priced,
            requested,
            dedup,
            finance,
            net,
            prepaid,
            conversion_id,
        )
        if done is not None:
            return done
    async with atomic():
        answer, logged = await _write(
            credential,
            data,
            got,
            a,
            goal,
            sale,
            priced,
            requested,
            dedup,
            finance,
            net,
            prepaid,
            conversion_id,
        )
        if answer.decision in {"accepted", "updated"} and not logged:
            await _log(tenant_id, credential.advertiser_id, data, got, answer)
    return answer


async def _queue(credential: Credential, got: Received, grace: int) -> None:
    await QueuedPostback.insert(
        QueuedPostback(
            network=credential.network_id,
            advertiser=credential.advertiser_id,
            click_id=parse(got.path, got.params).click_id,
            payload=jsoncol.dump(
                {"path": got.path, "params": dict(got.params), "ip": got.ip, "at": got.at.isoformat()}
            ),
            received_at=got.at,
            expires_at=got.at + timedelta(seconds=grace),
        )
    )


def _answer(row: Row, decision: str, message: str) -> Answer:
    return Answer(
        decision,
        row["reason"] or None,
        message,
        200,
        conversion_id=int(row["id"]),
        click_id=row["click_id"],
        offer_id=int(row["offer"]),
        goal=row["goal"],
        status=row["status"],
        terms_version=row["terms_version"],
        payout=str(from_minor(int(row["payout"]), row["currency"])),
        currency=row["currency"],
        hold_until=row["hold_until"],
        attribution=row["attribution"],
    )


async def _duplicate(credential: Credential, row: Row, requested: str | None, got: Received) -> Answer:
    """The same order again. A status the advertiser asks for is applied as its decision (Affise and
    Voluum send updates this way); otherwise, and when the move is not allowed, it is a duplicate."""
    target = {"approve": "approved", "reject": "rejected", "reverse": "reversed", "hold": "hold"}.get(
        requested or ""
    )
    if (
        target == "approved"
        and row["status"] == "pending"
        and row["hold_until"]
        and row["hold_until"] > got.at
    ):
        target = "hold"
    if (
        target
        and target != row["status"]
        and lifecycle.ADVERTISER_MOVES.get(row["status"], frozenset()) >= {target}
    ):
        reason = {"rejected": "advertiser_rejected", "reversed": "advertiser_reversed"}.get(target, "")
        new = await lifecycle.transition(
            tenant_id=credential.network_id,
            conversion_id=int(row["id"]),
            to=target,
            reason=reason,
            comment="status sent by the advertiser's postback",
            actor=None,
            hold_until=row["hold_until"],
        )
        if new is not None:
            return _answer(new, "updated", f"conversion {row['id']} is now {target}")
    return _answer(row, "duplicate", f"order already recorded as conversion {row['id']} ({row['status']})")


async def _new_values(
    credential: Credential,
    data: PostbackInput,
    got: Received,
    a: Attributed,
    goal: str,
    sale: Decimal | None,
    priced: Priced,
    requested: str | None,
    dedup: str,
    finance: policy.FinancePolicy,
    net: dict[str, str],
    prepaid: dict[str, int] | None,
) -> tuple[Row, _Settled]:
    """A new conversion's columns with its final status (before caps), and what decided them.
    ``prepaid``: the advertiser's prepaid balances, read before the transaction with the click (READ
    COMMITTED: the same as reading them first thing in it); None: read them here."""
    tenant_id = credential.network_id
    conn = pg.connection()
    offer_id = int(a.offer["id"])
    currency = a.offer["currency"]
    payout = to_minor(priced.payout, currency)
    revenue = to_minor(priced.revenue, currency)
    # Reads first (the balance gate, the referral chain); then one INSERT with the final values. Only a full
    # cap, found after the dedup key is claimed, needs an UPDATE.
    short = False
    if finance.balance_gate != "off" and revenue > 0:
        account = accounts.adv_prepaid(credential.advertiser_id)
        if prepaid is not None:
            balance = prepaid.get(currency, 0)
        elif conn is not None:
            balance = await pg_writes.balance(conn, tenant_id=tenant_id, account=account, currency=currency)
        else:
            balance = (await ledger.balances(tenant_id=tenant_id, accounts=[account])).get(
                (account, currency), 0
            )
        short = balance < revenue
    commissions: list[list[int]] = []
    shares = finance.shares()
    for level, (referrer, share) in enumerate(
        zip(await _referrers(tenant_id, a.webmaster_id, len(shares)), shares, strict=False), start=1
    ):
        amount = int((Decimal(payout) * share).to_integral_value(ROUND_HALF_EVEN))
        if amount:
            commissions.append([referrer, level, amount])
    settled = _Settled(requested, priced, payout, revenue, commissions, short, got.at, net["timezone"])
    click = a.click or {}
    values: dict[str, Any] = {
        "network": tenant_id,
        "offer": offer_id,
        "advertiser": credential.advertiser_id,
        "webmaster": a.webmaster_id,
        "goal": goal,
        "click_id": click.get("click_id", ""),
        "click_at": a.click_at,
        "attribution": a.method,
        "terms_version": a.terms_version,
        "dedup_key": dedup[:200],
        "order_id": data.order_id[:128],
        "currency": currency,
        "sale_amount": None if sale is None else to_minor(sale, currency),
        "hold_days": priced.hold_days,
        "ctct_seconds": priced.ctct_seconds,
        "country": click.get("country", ""),
        "ip": click.get("ip", ""),
        **{f"sub{i}": click.get(f"sub{i}", "") for i in range(1, 6)},
        "params": jsoncol.dump({"dialect": data.dialect, **data.adv}),
        "pricing_context": jsoncol.dump_exact(priced.context or {}),
        "created_at": got.at,
        "updated_at": got.at,
        **settled.outcome(None),
    }
    return values, settled


async def _write(
    credential: Credential,
    data: PostbackInput,
    got: Received,
    a: Attributed,
    goal: str,
    sale: Decimal | None,
    priced: Priced,
    requested: str | None,
    dedup: str,
    finance: policy.FinancePolicy,
    net: dict[str, str],
    prepaid: dict[str, int] | None,
    conversion_id: int | None,
) -> tuple[Answer, bool]:
    """The conversion and everything it writes, in the caller's transaction; also whether the postback log
    row is written already. ``conversion_id``: the id taken for it in advance (attribution.prefetch), else
    the column's default."""
    tenant_id = credential.network_id
    # PostgreSQL: fixed SQL on the transaction's own connection, the rows after the conversion's in one
    # statement (pg_writes.py). SQLite: the same rows through piccolo.
    conn = pg.connection()
    offer_id = int(a.offer["id"])
    currency = a.offer["currency"]
    payout = to_minor(priced.payout, currency)
    values, settled = await _new_values(
        credential, data, got, a, goal, sale, priced, requested, dedup, finance, net, prepaid
    )
    if conversion_id is not None:
        values = {"id": conversion_id, **values}
    # The dedup key is claimed first: a concurrent identical postback waits on the unique index and then
    # finds this row, so exactly one of them reserves caps and posts to the ledger.
    if conn is not None:
        new_row = await pg_writes.insert_conversion(conn, values)
        inserted: list[Row] = [] if new_row is None else [new_row]
    else:
        inserted = (
            await Conversion.insert(Conversion(**values))
            .on_conflict(action="DO NOTHING")
            .returning(*Conversion.all_columns())
        )
    if not inserted:
        existing = (
            await Conversion.select()
            .where(
                (Conversion.network == tenant_id)
                & (Conversion.offer == offer_id)
                & (Conversion.dedup_key == dedup[:200])
            )
            .first()
        )
        assert existing is not None
        return await _duplicate(credential, existing, requested, got), False
    row = inserted[0]
    conversion_id = int(row["id"])
    if row["billable"]:
        full = await caps.reserve(
            tenant_id=tenant_id,
            offer_id=offer_id,
            webmaster_id=a.webmaster_id,
            payout=payout,
            at=got.at,
            timezone=net["timezone"],
        )
        if full is not None:
            final = settled.outcome((full, a.offer["cap_policy"]))
            await Conversion.update({getattr(Conversion, k): v for k, v in final.items()}).where(
                Conversion.id == conversion_id
            )
            row = {**row, **final}
    status, reason, detail, billable = row["status"], row["reason"], row["reason_detail"], row["billable"]
    gate_hit = reason == "advertiser_balance"
    audit_after = _created_audit(row, priced, a)
    decision = "accepted" if billable else "rejected"
    message = detail or f"conversion {row['id']} recorded as {status}"
    answer = _answer(row, decision, message)
    from network.outgoing import enqueue

    if conn is not None:
        logged = decision == "accepted"
        after = await _after(credential, data, got, row, answer, audit_after, logged=logged)
        await pg_writes.record_new(conn, row, after)
        if gate_hit and finance.balance_gate == "pause_offer" and a.offer["status"] == "active":
            await _pause_for_balance(tenant_id, a.offer)
        return answer, logged
    event_id = await lifecycle.record_event(row, from_status="", reason=reason, comment=detail, actor=None)
    await lifecycle.settle(row, event_id=event_id, kind="conversion", new=True)
    await audit.record(
        network_id=tenant_id,
        actor=None,
        entity="conversion",
        entity_id=row["id"],
        action="conversion.created",
        after=audit_after,
        reason=detail or reason,
    )
    if gate_hit and finance.balance_gate == "pause_offer" and a.offer["status"] == "active":
        await _pause_for_balance(tenant_id, a.offer)
    if billable:
        await enqueue.for_conversion(row, event=status, previous=None)
    return answer, False


def _created_audit(row: Row, priced: Priced, a: Attributed) -> dict[str, Any]:
    """The ``conversion.created`` audit row's ``after``: the status it was created in, and why, at what
    payout under which terms version."""
    return {
        "status": row["status"],
        "reason": row["reason"],
        "payout": str(priced.payout),
        "terms_version": a.terms_version,
    }


async def _after(
    credential: Credential,
    data: PostbackInput,
    got: Received,
    row: Row,
    answer: Answer,
    audit_after: dict[str, Any],
    *,
    logged: bool,
) -> pg_writes.After:
    """What a new conversion writes after its row on PostgreSQL (pg_writes): its history event, ledger legs,
    audit row, outgoing deliveries and, when ``logged``, the postback log row."""
    from network.outgoing import enqueue

    return pg_writes.After(
        at=datetime.now(UTC),
        reason=row["reason"],
        comment=row["reason_detail"],
        # A new conversion has posted nothing yet: its ledger difference is its target.
        legs=ledger_effects.difference(ledger_effects.target(row), []),
        audit_after=jsoncol.dump(audit_after),
        audit_reason=row["reason_detail"] or row["reason"],
        deliveries=await enqueue.plan(row, event=row["status"], previous=None) if row["billable"] else [],
        log=_log_row(credential.advertiser_id, data, got, answer) if logged else None,
    )


async def _write_at_once(
    credential: Credential,
    data: PostbackInput,
    got: Received,
    a: Attributed,
    goal: str,
    sale: Decimal | None,
    priced: Priced,
    requested: str | None,
    dedup: str,
    finance: policy.FinancePolicy,
    net: dict[str, str],
    prepaid: dict[str, int] | None,
    conversion_id: int,
) -> Answer | None:
    """PostgreSQL, the common case: the conversion and all its rows (event, ledger, audit, outbox, log) in
    one statement that is its own transaction (pg_writes.create). None when it does not apply (the offer has
    caps to reserve, the balance gate pauses the offer, or the dedup key is taken: nothing written then);
    the caller then runs the transaction path, which finds the duplicate."""
    values, _settled = await _new_values(
        credential, data, got, a, goal, sale, priced, requested, dedup, finance, net, prepaid
    )
    tenant_id, offer_id = credential.network_id, int(a.offer["id"])
    status, reason, detail, billable = (
        values["status"],
        values["reason"],
        values["reason_detail"],
        values["billable"],
    )
    if billable and await caps.defined(tenant_id=tenant_id, offer_id=offer_id):
        return None
    if (
        reason == "advertiser_balance"
        and finance.balance_gate == "pause_offer"
        and a.offer["status"] == "active"
    ):
        return None
    row: Row = {"id": conversion_id, **values}
    decision = "accepted" if billable else "rejected"
    message = detail or f"conversion {conversion_id} recorded as {status}"
    answer = _answer(row, decision, message)

    logged = decision == "accepted"
    audit_after = _created_audit(row, priced, a)
    created = await pg_writes.create(
        row, await _after(credential, data, got, row, answer, audit_after, logged=logged)
    )
    if created is None:
        return None
    # A refused conversion's log row is written by process(), after it, as on the transaction path.
    return _answer(created, decision, message)


async def _pause_for_balance(tenant_id: int, offer: Row) -> None:
    why = "paused automatically: the advertiser's prepaid balance cannot cover new conversions"
    await Offer.update(
        {Offer.status: "paused", Offer.status_reason: why, Offer.updated_at: datetime.now(UTC)}
    ).where((Offer.network == tenant_id) & (Offer.id == offer["id"]))
    await audit.record(
        network_id=tenant_id,
        actor=None,
        entity="offer",
        entity_id=offer["id"],
        action="offer.paused",
        before={"status": offer["status"]},
        after={"status": "paused"},
        reason=why,
    )


async def retry_queued(now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Attribute postbacks that were waiting for their click (Celery beat runs this every few seconds)."""
    now = now or datetime.now(UTC)
    done = {"attributed": 0, "expired": 0, "waiting": 0}
    rows = (
        await QueuedPostback.select()
        .where(QueuedPostback.state == "queued")
        .order_by(QueuedPostback.id)
        .limit(limit)
    )
    for row in rows:
        payload = jsoncol.load(row["payload"])
        got = Received(
            path=payload["path"],
            params=payload["params"],
            ip=payload["ip"],
            visitor_id="",
            at=datetime.fromisoformat(payload["at"]),
        )
        credential = Credential(
            id=0,
            network_id=int(row["network"]),
            advertiser_id=int(row["advertiser"]),
            ip_allowlist=(),
            hmac_secret="",
            require_hmac=False,
        )
        data = parse(got.path, got.params)
        answer = await _cached(functools.partial(process, credential, data, got, queued=True))
        if answer.decision == "queued":
            if row["expires_at"] <= now:
                state, reason = "expired", "unknown_click"
                await _log(
                    int(row["network"]),
                    int(row["advertiser"]),
                    data,
                    got,
                    Answer("rejected", "unknown_click", "the click never arrived within the grace period"),
                )
                done["expired"] += 1
            else:
                done["waiting"] += 1
                await QueuedPostback.update({QueuedPostback.attempts: QueuedPostback.attempts + 1}).where(
                    QueuedPostback.id == row["id"]
                )
                continue
        else:
            state, reason = "done", answer.reason or answer.decision
            done["attributed"] += 1
        await QueuedPostback.update(
            {
                QueuedPostback.state: state,
                QueuedPostback.reason: reason,
                QueuedPostback.conversion: answer.conversion_id,
            }
        ).where(QueuedPostback.id == row["id"])
    return done
