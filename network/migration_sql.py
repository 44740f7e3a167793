"""Raw SQL for hand-written migrations: things piccolo's auto migrations cannot express portably.

Composite unique indexes (piccolo adds composite constraints with ALTER TABLE, which SQLite lacks) and
append-only triggers, each in an SQLite and a PostgreSQL spelling.
"""

from __future__ import annotations

from piccolo.engine import engine_finder


async def run(statements: list[str]) -> None:
    engine = engine_finder()
    assert engine is not None
    for sql in statements:
        await engine.run_ddl(sql, in_pool=False)


def unique_index(table: str, columns: list[str]) -> str:
    name = f"uq_{table}_{'_'.join(columns)}"
    quoted = ", ".join(f'"{c}"' for c in columns)
    return f'CREATE UNIQUE INDEX IF NOT EXISTS {name} ON "{table}" ({quoted})'


def append_only(table: str) -> list[str]:
    """Refuse UPDATE and DELETE on ``table`` inside the database itself."""
    engine = engine_finder()
    assert engine is not None
    if engine.engine_type == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        ]
    return [
        "CREATE OR REPLACE FUNCTION cpanet_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME "
        "USING ERRCODE = 'restrict_violation'; END $$",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION cpanet_append_only()",
    ]
