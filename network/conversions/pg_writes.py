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


@dataclass(frozen=True, slots=True)
class After:
    """What a new conversion writes after its own row (the values of ``AFTER``'s named parameters)."""

    at: datetime
    reason: str
    comment: str
    legs: Sequence[Leg]
    audit_after: str
    audit_reason: str
    deliveries: Sequence[Planned]
    log: LogRow | None


# What a new conversion writes after its own row, in one statement (data-modifying CTEs) that reads the
# conversion from ``conv``: its history event, the ledger transaction and postings, the audit row, the outbox
# rows and the postback log row. @name placeholders are numbered after the head's own values.
#
# Two heads: ``create`` inserts the conversion in ``conv`` itself, outside any transaction block, so the
# statement is its own transaction (the deferred balance check runs at its end) and nothing is written when
# the dedup key is taken (no row comes back); ``record_new`` reads the row the caller's transaction has just
# inserted (and perhaps updated for its caps).
INSERT_HEAD = 'INSERT INTO "conversion" ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING RETURNING *'
SELECT_HEAD = 'SELECT * FROM "conversion" WHERE "id" = $1'
AFTER = """
WITH conv AS (
    {head}
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
           'conversion.created', '{}', @audit_after::json, @audit_reason::varchar
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
SELECT {result}
"""
_STATEMENTS: dict[tuple[str, ...] | None, tuple[str, list[str]]] = {}


def _statement(columns: tuple[str, ...] | None) -> tuple[str, list[str]]:
    """The statement that inserts a conversion with these columns (``record_new``: None, reads it), and the
    order of the named parameters after the head's own."""
    found = _STATEMENTS.get(columns)
    if found is not None:
        return found
    if columns is None:
        head, taken, result = SELECT_HEAD, 1, 'ev."id" AS event_id FROM ev'
    else:
        head = INSERT_HEAD.format(
            columns=", ".join(f'"{c}"' for c in columns),
            values=", ".join(f"${i}" for i in range(1, len(columns) + 1)),
        )
        taken, result = len(columns), "* FROM conv"
    text = AFTER.replace("{head}", head).replace("{result}", result)
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${taken + names.index(name) + 1}"

    text = re.sub(r"@([a-z_]+)", number, text)
    _STATEMENTS[columns] = (text, names)
    return text, names


def _named(row: Row, after: After) -> dict[str, Any]:
    """The named parameters of ``AFTER`` (the legs checked to balance first)."""
    legs = [leg for leg in after.legs if leg.amount != 0]
    deliveries, log = after.deliveries, after.log
    if legs:
        check_balanced(legs)
    return {
        "at": after.at,
        "reason": after.reason,
        "comment": after.comment[:2000],
        "memo": f"conversion {row['id']} {row['status']}"[:500],
        "accounts": [leg.account for leg in legs],
        "currencies": [leg.currency for leg in legs],
        "amounts": [leg.amount for leg in legs],
        "audit_after": after.audit_after,
        "audit_reason": after.audit_reason,
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


async def record_new(conn: Any, row: Row, after: After) -> int:
    """Everything a new conversion writes after its own row, in one statement on the caller's transaction
    connection; returns the event's id."""
    sql, names = _statement(None)
    named = _named(row, after)
    record = await conn.fetchrow(sql, int(row["id"]), *(named[n] for n in names))
    return int(record["event_id"])


async def create(values: Row, after: After) -> Row | None:
    """Write a new conversion (``values`` include its ``id``) with its history event, ledger transaction,
    audit row, deliveries and postback log row in one statement; the conversion row, or None when the dedup
    key is taken (then nothing is written)."""
    sql, names = _statement(tuple(values))
    named = _named(values, after)
    ran, row = await fetchrow(sql, *values.values(), *(named[n] for n in names))
    assert ran, "pg_writes.create is for PostgreSQL"
    return row
