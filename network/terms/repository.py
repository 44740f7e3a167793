"""Every query of the terms context. Versions and acceptances are insert-only (the database enforces it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from network.terms.tables import TermsAcceptance, TermsVersion

Row = dict[str, Any]


async def versions(*, tenant_id: int, offer_id: int) -> list[Row]:
    rows: list[Row] = (
        await TermsVersion.select()
        .where((TermsVersion.network == tenant_id) & (TermsVersion.offer == offer_id))
        .order_by(TermsVersion.number)
    )
    return rows


async def version(*, tenant_id: int, version_id: int) -> Row | None:
    row: Row | None = (
        await TermsVersion.select()
        .where((TermsVersion.network == tenant_id) & (TermsVersion.id == version_id))
        .first()
    )
    return row


async def next_number(*, tenant_id: int, offer_id: int) -> int:
    rows = await TermsVersion.select(TermsVersion.number).where(
        (TermsVersion.network == tenant_id) & (TermsVersion.offer == offer_id)
    )
    return max((int(r["number"]) for r in rows), default=0) + 1


async def insert_version(*, tenant_id: int, values: dict[str, Any]) -> int:
    rows = await TermsVersion.insert(TermsVersion(network=tenant_id, **values)).returning(TermsVersion.id)
    return int(rows[0]["id"])


async def acceptance(*, tenant_id: int, version_id: int, webmaster_id: int) -> Row | None:
    row: Row | None = (
        await TermsAcceptance.select()
        .where(
            (TermsAcceptance.network == tenant_id)
            & (TermsAcceptance.terms_version == version_id)
            & (TermsAcceptance.webmaster == webmaster_id)
        )
        .first()
    )
    return row


async def acceptances(*, tenant_id: int, webmaster_id: int) -> list[Row]:
    rows: list[Row] = await TermsAcceptance.select().where(
        (TermsAcceptance.network == tenant_id) & (TermsAcceptance.webmaster == webmaster_id)
    )
    return rows


async def insert_acceptance(
    *, tenant_id: int, version_id: int, webmaster_id: int, valid_until: datetime | None
) -> None:
    await TermsAcceptance.insert(
        TermsAcceptance(
            network=tenant_id, terms_version=version_id, webmaster=webmaster_id, valid_until=valid_until
        )
    )
