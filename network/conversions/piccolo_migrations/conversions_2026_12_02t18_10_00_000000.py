"""Hand-written: the generation number that tells postback caches a cached row changed"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from network.conversions.cache import bump_triggers, generation_table
from network.migration_sql import run

ID = "2026-12-02T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "postback_cache_generation, added to by every change of a row the postback path caches"

# What network/conversions/cache.py caches, and the changes that can make a cached row stale. An INSERT
# of an offer, a credential or a webmaster cannot (misses are not cached; a new webmaster changes no one's
# referral chain); an INSERT of a goal or a cap changes the offer's list.
WATCHED: list[tuple[str, str, tuple[str, ...]]] = [
    ("network", "UPDATE OR DELETE", ()),
    ("offer", "UPDATE OR DELETE", ()),
    ("goal", "INSERT OR UPDATE OR DELETE", ()),
    ("offer_cap", "INSERT OR UPDATE OR DELETE", ()),
    ("postback_auth", "UPDATE OR DELETE", ()),
    ("webmaster", "UPDATE OR DELETE", ("network", "referred_by")),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="conversions", description=DESCRIPTION)

    async def apply() -> None:
        engine = engine_finder()
        assert engine is not None
        kind = engine.engine_type
        await run(
            [
                *generation_table(kind),
                *(
                    sql
                    for table, events, columns in WATCHED
                    for sql in bump_triggers(kind, table, events, columns)
                ),
            ]
        )

    manager.add_raw(apply)
    return manager
