"""In-process caches of the read-mostly rows a postback needs, checked against the database every postback.

What is cached: the advertiser's credential row (by token prefix), the network's finance policy and time zone,
offer rows, each offer's goals and conversion/budget caps, referral chains and each webmaster's outgoing
postback endpoints. Balances, cap usage, duplicates and clicks are never cached: they stay in the
transaction.

How it stays right across processes: every INSERT, UPDATE or DELETE that can change one of those rows adds
one to ``postback_cache_generation`` in the same transaction (database triggers, created by the migrations
of the conversions and outgoing apps; on PostgreSQL deferred to COMMIT, so the row is locked only at the very
end and two writers cannot deadlock on it). A postback first reads that one number (one primary-key read);
the rows cached under another number are not used. A row read after the number is at least as new as the
number says, so a postback never sees a row older than one it could have read from the database at the
moment it read the number: the same guarantee the reads had when each went to the database.

Each set of cached rows belongs to one generation (a ``View``); a new generation starts an empty view, and
an older one never replaces a newer one. The views are per database engine (tests run SQLite and PostgreSQL
in one process). Only hits are kept (a token prefix nobody has is read again each time), and each kind of
row is bounded (FIFO) so a network with many offers cannot grow the cache without end.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from piccolo.engine.base import Engine

from network.conversions import pg
from network.tenants.tables import Network

T = TypeVar("T")
MAX_ENTRIES = 20_000  # per kind of row
GENERATION_SQL = 'SELECT "generation" FROM "postback_cache_generation" WHERE "id" = 1'

_epochs = itertools.count(1)


@dataclass
class View:
    """The rows cached under one (engine, generation)."""

    epoch: int
    generation: int
    kinds: dict[str, dict[Hashable, Any]] = field(default_factory=dict)


_views: dict[int, View] = {}  # engine epoch -> newest view
_engines: dict[int, tuple[Engine[Any], int]] = {}  # id(engine) -> (engine, epoch)
_active: ContextVar[View | None] = ContextVar("cpanet_postback_cache", default=None)


def _epoch(engine: Engine[Any]) -> int:
    # Engines take no attributes and no weak references; holding the engine keeps its id from being reused.
    found = _engines.get(id(engine))
    if found is not None and found[0] is engine:
        return found[1]
    if len(_engines) >= 64:
        _old, old_epoch = _engines.pop(next(iter(_engines)))
        _views.pop(old_epoch, None)
    epoch = next(_epochs)
    _engines[id(engine)] = (engine, epoch)
    return epoch


async def _generation() -> int:
    # PostgreSQL: straight to asyncpg (no query building); SQLite: through piccolo.
    ran, row = await pg.fetchrow(GENERATION_SQL)
    if not ran:
        rows = await Network.raw(GENERATION_SQL)
        row = rows[0]
    assert row is not None
    return int(row["generation"])


def view_for(epoch: int, generation: int) -> View:
    """The view to read through for ``generation``: the newest one, or a new empty one. A generation older
    than the newest (a postback that read the number just before a change committed) gets a throwaway view,
    so it cannot put rows into the newer one."""
    newest = _views.get(epoch)
    if newest is not None and newest.generation == generation:
        return newest
    view = View(epoch, generation)
    if newest is None or generation > newest.generation:
        _views[epoch] = view
    return view


async def current() -> View:
    """The view for the generation the database has now (one read)."""
    return view_for(_epoch(Network._meta.db), await _generation())


def newest() -> View | None:
    """The newest view this process has for the engine, unconfirmed: whoever reads through it must confirm
    its generation (``check`` or ``confirm``) before anything it read is acted on."""
    return _views.get(_epoch(Network._meta.db))


class Stale(Exception):
    """The generation moved on since the view was made: start again with ``current()``."""


def check(generation: int) -> None:
    """Raise Stale unless the active view is of ``generation`` (read in the same statement as other rows)."""
    view = _active.get()
    if view is not None and view.generation != generation:
        raise Stale(f"cached under generation {view.generation}, the database is at {generation}")


async def confirm() -> None:
    """Read the generation and ``check`` it (one statement)."""
    if _active.get() is not None:
        check(await _generation())


@contextmanager
def using(view: View | None) -> Iterator[None]:
    """Reads through ``cached`` inside this block use ``view``; outside one, or with None, they go to the
    database."""
    token = _active.set(view)
    try:
        yield
    finally:
        _active.reset(token)


async def cached(kind: str, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """The cached value of ``kind``/``key``, or ``load()`` (kept unless it is None). Callers must not
    change what they get: it is shared by every postback of the generation."""
    view = _active.get()
    if view is None:
        return await load()
    rows = view.kinds.setdefault(kind, {})
    if key in rows:
        return cast(T, rows[key])
    value = await load()
    if value is not None:
        if len(rows) >= MAX_ENTRIES:
            del rows[next(iter(rows))]
        rows[key] = value
    return value


def clear() -> None:
    """Forget every view (tests)."""
    _views.clear()


def bump_triggers(engine_type: str, table: str, events: str, columns: tuple[str, ...] = ()) -> list[str]:
    """DDL: add one to the generation whenever ``events`` (e.g. "INSERT OR UPDATE OR DELETE") change
    ``table``; ``columns`` limits UPDATE to those columns (an UPDATE that sets none of them is not a
    change a postback can see)."""
    name = f"{table}_postback_cache"
    if engine_type == "sqlite":
        statements = []
        for event in (e.strip() for e in events.split(" OR ")):
            of = f" OF {', '.join(columns)}" if event == "UPDATE" and columns else ""
            statements.append(  # DDL from this module's constants, no input
                f"CREATE TRIGGER IF NOT EXISTS {name}_{event.lower()} AFTER {event}{of} ON {table} "  # noqa: S608
                'BEGIN UPDATE "postback_cache_generation" SET "generation" = "generation" + 1 '
                'WHERE "id" = 1; END'
            )
        return statements
    spelled = " OR ".join(
        f"UPDATE OF {', '.join(columns)}" if e.strip() == "UPDATE" and columns else e.strip()
        for e in events.split(" OR ")
    )
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE CONSTRAINT TRIGGER {name} AFTER {spelled} ON {table} DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION cpanet_postback_cache_bump()",
    ]


def generation_table(engine_type: str) -> list[str]:
    """DDL: the generation row and (PostgreSQL) the trigger function; safe to run more than once."""
    statements = [
        'CREATE TABLE IF NOT EXISTS "postback_cache_generation" '
        '("id" INTEGER PRIMARY KEY, "generation" BIGINT NOT NULL DEFAULT 0)',
        'INSERT INTO "postback_cache_generation" ("id", "generation") VALUES (1, 0) ON CONFLICT DO NOTHING',
    ]
    if engine_type == "postgres":
        statements.append(
            "CREATE OR REPLACE FUNCTION cpanet_postback_cache_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
            'BEGIN UPDATE "postback_cache_generation" SET "generation" = "generation" + 1 WHERE "id" = 1; '
            "RETURN NULL; END $$"
        )
    return statements
