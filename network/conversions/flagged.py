"""Flagged conversions for the staff console: the ones the click or conversion checks marked as not billable,
or decided with a fraud reason code, whatever their status. Staff only, inside the reader's own network."""

from __future__ import annotations

from typing import Any

from network.conversions.schemas import ConversionOut
from network.conversions.service import conversion_out
from network.conversions.tables import Conversion
from network.errors import PermissionDeniedError
from network.pagination import Page
from network.principal import Principal


async def flagged(principal: Principal, *, limit: int, offset: int) -> Page[ConversionOut]:
    if not principal.is_staff:
        raise PermissionDeniedError("only staff can list flagged conversions")
    where: Any = (Conversion.network == principal.network_id) & (
        (Conversion.billable == False) | Conversion.reason.like("fraud%")  # noqa: E712
    )
    total = await Conversion.count().where(where)
    rows = (
        await Conversion.select()
        .where(where)
        .order_by(Conversion.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return Page([conversion_out(r, principal) for r in rows], int(total), limit, offset)
