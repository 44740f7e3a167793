"""The role matrix for every GET route: reads change nothing, so they share one app and one network per
module (tests/conftest.py) instead of a world per route."""

from __future__ import annotations

import pytest

from tests.functional.test_roles import WRITES, check_matrix
from tests.support.client import Client
from tests.support.routes import OPS
from tests.support.world import World

# Route guards do not depend on the database; the tenant-isolation matrix runs on both engines.
pytestmark = pytest.mark.sqlite_only

READS = sorted(op_id for op_id, op in OPS.items() if op.method == "GET")


def test_reads_and_writes_cover_the_table() -> None:
    assert sorted(READS + WRITES) == sorted(OPS)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("op_id", READS)
async def test_role_matrix_reads(module_client: Client, module_world: World, op_id: str) -> None:
    await check_matrix(module_client, module_world, op_id)
