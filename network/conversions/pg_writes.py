"""A new conversion's writes in PostgreSQL's own SQL: fixed statements sent straight to the asyncpg
connection of the current transaction (prepared once per connection), and the history event, the ledger
transaction with its postings, the audit row, the outbox rows and the postback log row in one statement
(data-modifying CTEs). The same rows, column for column, as the piccolo queries that write them on SQLite
(intake._write, lifecycle, ledger.repository.post, audit, outgoing.enqueue, intake._log); the functional
tests run both engines against the same expectations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from network.conversions.pg import fetchrow
from network.ledger.repository import Leg, check_balanced
from network.outgoing.enqueue import Planned

Row = dict[str, Any]
_INSERTS: dict[tuple[str, ...], str] = {}


async def balance(conn: Any, *, tenant_id: int, account: str, currency: str) -> int:
    """One account's balance from ``account_balance`` (see ledger.repository.balances)."""
    value = await conn.fetchval(
        'SELECT SUM("balance") FROM "account_balance" WHERE "network" = $1 AND "account" = $2 '
        'AND "currency" = $3',
        tenant_id,
        account,
        currency,
    )
    return int(value or 0)


async def insert_conversion(conn: Any, values: Row) -> Row | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING *: the new row, or None when the dedup key is taken."""
    columns = tuple(values)
    sql = _INSERTS.get(columns)
    if sql is None:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        sql = _INSERTS[columns] = (
            f'INSERT INTO "conversion" ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING RETURNING *'  # noqa: S608
        )
    record = await conn.fetchrow(sql, *values.values())
    return None if record is None else dict(record)


@dataclass(frozen=True, slots=True)
class LogRow:
    advertiser: int | None
    received_at: datetime
    dialect: str
    ip: str
    params: str
    decision: str
    reason: str
    message: str
    http_status: int
    click_id: str


# $1 network, $2 conversion, $3 now; event: $4 to_status, $5 reason, $6 comment; ledger: $7 kind, $8 memo,
# $9 accounts, $10 currencies, $11 amounts; audit: $12 action, $13 after, $14 reason; outbox: $15 endpoints,
# $16 event ids, $17 events, $18 urls, $19 states; log (when $20): $21 advertiser .. $30 click id.
RECORD_NEW = """
WITH ev AS (
    INSERT INTO "conversion_event" ("network", "conversion", "at", "from_status", "to_status", "reason",
                                    "comment", "actor_role")
    VALUES ($1, $2, $3, '', $4, $5, $6, 'system')
    RETURNING "id"
), txn AS (
    INSERT INTO "ledger_transaction" ("network", "kind", "idempotency_key", "conversion", "withdrawal",
                                      "memo", "created_at")
    SELECT $1, $7, 'conv:' || $2::bigint || ':ev:' || ev."id", $2, NULL, $8, $3
    FROM ev WHERE cardinality($9::varchar[]) > 0
    ON CONFLICT DO NOTHING
    RETURNING "id"
), legs AS (
    INSERT INTO "posting" ("network", "txn", "account", "currency", "amount", "created_at")
    SELECT $1, txn."id", leg.account, leg.currency, leg.amount, $3
    FROM txn, unnest($9::varchar[], $10::varchar[], $11::bigint[]) WITH ORDINALITY
        AS leg(account, currency, amount, n)
    ORDER BY leg.n
), audit AS (
    INSERT INTO "audit_entry" ("network", "at", "actor_user_id", "actor_role", "entity", "entity_id",
                               "action", "before", "after", "reason")
    VALUES ($1, $3, '', 'system', 'conversion', $2::bigint::varchar, $12, '{}', $13::json, $14)
), outbox AS (
    INSERT INTO "postback_delivery" ("network", "endpoint", "conversion", "event_id", "event", "url", "state",
                                     "attempts", "next_attempt_at", "last_http_status", "last_error",
                                     "created_at", "delivered_at")
    SELECT $1, d.endpoint, $2, d.event_id, d.event, d.url, d.state, 0, $3, NULL, '', $3, NULL
    FROM unnest($15::bigint[], $16::varchar[], $17::varchar[], $18::varchar[], $19::varchar[]) WITH ORDINALITY
        AS d(endpoint, event_id, event, url, state, n)
    ORDER BY d.n
), log AS (
    INSERT INTO "postback_log" ("network", "advertiser", "received_at", "dialect", "ip", "params", "decision",
                                "reason", "message", "http_status", "click_id", "conversion")
    SELECT $1, $21, $22, $23, $24, $25::json, $26, $27, $28, $29, $30, $2
    WHERE $20::boolean
)
SELECT ev."id" AS event_id, (SELECT "id" FROM txn) AS txn_id FROM ev
"""


async def record_new(
    conn: Any,
    row: Row,
    *,
    at: datetime,
    reason: str,
    comment: str,
    legs: Sequence[Leg],
    audit_after: str,
    audit_reason: str,
    deliveries: Sequence[Planned],
    log: LogRow | None,
) -> int:
    """Everything a new conversion writes after its own row, in one statement; returns the event's id."""
    legs = [leg for leg in legs if leg.amount != 0]
    if legs:
        check_balanced(legs)
    conversion_id = int(row["id"])
    record = await conn.fetchrow(
        RECORD_NEW,
        int(row["network"]),
        conversion_id,
        at,
        row["status"],
        reason,
        comment[:2000],
        "conversion",
        f"conversion {conversion_id} {row['status']}"[:500],
        [leg.account for leg in legs],
        [leg.currency for leg in legs],
        [leg.amount for leg in legs],
        "conversion.created",
        audit_after,
        audit_reason,
        [d.endpoint for d in deliveries],
        [d.event_id for d in deliveries],
        [d.event for d in deliveries],
        [d.url for d in deliveries],
        [d.state for d in deliveries],
        log is not None,
        None if log is None else log.advertiser,
        None if log is None else log.received_at,
        "" if log is None else log.dialect,
        "" if log is None else log.ip,
        "{}" if log is None else log.params,
        "" if log is None else log.decision,
        "" if log is None else log.reason,
        "" if log is None else log.message,
        200 if log is None else log.http_status,
        "" if log is None else log.click_id,
    )
    return int(record["event_id"])


# A new conversion and everything it writes in one statement, outside any transaction block: the statement is
# its own transaction (the deferred balance check runs at its end). Nothing is written when the dedup key is
# taken (no row comes back). @name placeholders are numbered after the conversion's own values.
CREATE = """
WITH conv AS (
    INSERT INTO "conversion" ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING RETURNING *
), ev AS (
    INSERT INTO "conversion_event" ("network", "conversion", "at", "from_status", "to_status", "reason",
                                    "comment", "actor_role")
    SELECT conv."network", conv."id", @at::timestamptz, '', conv."status", @reason::varchar,
           @comment::text, 'system'
    FROM conv
    RETURNING "id", "network", "conversion"
), txn AS (
    INSERT INTO "ledger_transaction" ("network", "kind", "idempotency_key", "conversion", "withdrawal",
                                      "memo", "created_at")
    SELECT ev."network", 'conversion', 'conv:' || ev."conversion" || ':ev:' || ev."id", ev."conversion", NULL,
           @memo::varchar, @at::timestamptz
    FROM ev WHERE cardinality(@accounts::varchar[]) > 0
    ON CONFLICT DO NOTHING
    RETURNING "id", "network"
), legs AS (
    INSERT INTO "posting" ("network", "txn", "account", "currency", "amount", "created_at")
    SELECT txn."network", txn."id", leg.account, leg.currency, leg.amount, @at::timestamptz
    FROM txn, unnest(@accounts::varchar[], @currencies::varchar[], @amounts::bigint[]) WITH ORDINALITY
        AS leg(account, currency, amount, n)
    ORDER BY leg.n
), audit AS (
    INSERT INTO "audit_entry" ("network", "at", "actor_user_id", "actor_role", "entity", "entity_id",
                               "action", "before", "after", "reason")
    SELECT conv."network", @at::timestamptz, '', 'system', 'conversion', conv."id"::varchar,
           'conversion.created', '{{}}', @audit_after::json, @audit_reason::varchar
    FROM conv
), outbox AS (
    INSERT INTO "postback_delivery" ("network", "endpoint", "conversion", "event_id", "event", "url", "state",
                                     "attempts", "next_attempt_at", "last_http_status", "last_error",
                                     "created_at", "delivered_at")
    SELECT conv."network", d.endpoint, conv."id", d.event_id, d.event, d.url, d.state, 0, @at::timestamptz,
           NULL, '', @at::timestamptz, NULL
    FROM conv, unnest(@endpoints::bigint[], @event_ids::varchar[], @events::varchar[], @urls::varchar[],
                      @states::varchar[]) WITH ORDINALITY AS d(endpoint, event_id, event, url, state, n)
    ORDER BY d.n
), log AS (
    INSERT INTO "postback_log" ("network", "advertiser", "received_at", "dialect", "ip", "params", "decision",
                                "reason", "message", "http_status", "click_id", "conversion")
    SELECT conv."network", @log_advertiser::bigint, @log_received_at::timestamptz, @log_dialect::varchar,
           @log_ip::varchar, @log_params::json, @log_decision::varchar, @log_reason::varchar,
           @log_message::varchar, @log_http_status::integer, @log_click_id::varchar, conv."id"
    FROM conv WHERE @log::boolean
)
SELECT * FROM conv
"""
_CREATES: dict[tuple[str, ...], tuple[str, list[str]]] = {}


def _create_sql(columns: tuple[str, ...]) -> tuple[str, list[str]]:
    """The statement for these conversion columns, and the order of the named parameters after them."""
    found = _CREATES.get(columns)
    if found is not None:
        return found
    text = CREATE.format(
        columns=", ".join(f'"{c}"' for c in columns),
        values=", ".join(f"${i}" for i in range(1, len(columns) + 1)),
    )
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${len(columns) + names.index(name) + 1}"

    text = re.sub(r"@([a-z_]+)", number, text)
    _CREATES[columns] = (text, names)
    return text, names


async def create(
    values: Row,
    *,
    at: datetime,
    reason: str,
    comment: str,
    legs: Sequence[Leg],
    audit_after: str,
    audit_reason: str,
    deliveries: Sequence[Planned],
    log: LogRow | None,
) -> Row | None:
    """Write a new conversion (``values`` include its ``id``) with its history event, ledger transaction,
    audit row, deliveries and postback log row in one statement; the conversion row, or None when the dedup
    key is taken (then nothing is written)."""
    legs = [leg for leg in legs if leg.amount != 0]
    if legs:
        check_balanced(legs)
    columns = tuple(values)
    sql, names = _create_sql(columns)
    named: dict[str, Any] = {
        "at": at,
        "reason": reason,
        "comment": comment[:2000],
        "memo": f"conversion {values['id']} {values['status']}"[:500],
        "accounts": [leg.account for leg in legs],
        "currencies": [leg.currency for leg in legs],
        "amounts": [leg.amount for leg in legs],
        "audit_after": audit_after,
        "audit_reason": audit_reason,
        "endpoints": [d.endpoint for d in deliveries],
        "event_ids": [d.event_id for d in deliveries],
        "events": [d.event for d in deliveries],
        "urls": [d.url for d in deliveries],
        "states": [d.state for d in deliveries],
        "log": log is not None,
        "log_advertiser": None if log is None else log.advertiser,
        "log_received_at": None if log is None else log.received_at,
        "log_dialect": "" if log is None else log.dialect,
        "log_ip": "" if log is None else log.ip,
        "log_params": "{}" if log is None else log.params,
        "log_decision": "" if log is None else log.decision,
        "log_reason": "" if log is None else log.reason,
        "log_message": "" if log is None else log.message,
        "log_http_status": 200 if log is None else log.http_status,
        "log_click_id": "" if log is None else log.click_id,
    }
    ran, row = await fetchrow(sql, *values.values(), *(named[n] for n in names))
    assert ran, "pg_writes.create is for PostgreSQL"
    return row
