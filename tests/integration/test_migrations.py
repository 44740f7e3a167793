"""Migrations run forward on an empty database, agree with the tables, and are idempotent, on both engines."""

from __future__ import annotations

import os

import pytest

from network.audit.tables import AuditEntry
from network.db import all_tables, bind_tables, build_engine
from network.settings import Settings
from tests.support.cli import cpanet


def test_tables_and_migrations_agree(database_url: str) -> None:
    result = cpanet(database_url, "db", "check")
    assert result.returncode == 0, result.stderr
    assert "agree" in result.stdout


def test_migrating_again_is_a_no_op(database_url: str) -> None:
    result = cpanet(database_url, "db", "migrate")
    assert result.returncode == 0, result.stderr
    assert "No migrations" in result.stdout or "migrations applied" in result.stdout


async def test_every_table_exists(settings: Settings) -> None:
    engine = build_engine(settings.database)
    bind_tables(engine)
    for table in all_tables():
        assert await table.table_exists(), table._meta.tablename


async def test_audit_entries_are_append_only_in_the_database(settings: Settings) -> None:

    engine = build_engine(settings.database)
    bind_tables(engine)
    from network.tenants import service

    network_id = await service.create_network(
        slug=f"ao-{os.getpid()}-{id(engine)}", name="x", tracking_host=f"ao-{id(engine)}.example"
    )
    rows = await AuditEntry.select().where(AuditEntry.network == network_id)
    assert rows
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.update({AuditEntry.reason: "rewritten"}).where(AuditEntry.network == network_id)
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.delete().where(AuditEntry.network == network_id)
    assert await AuditEntry.count().where(AuditEntry.network == network_id) == len(rows)
