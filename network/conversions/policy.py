"""A network's money policy, kept in ``network.settings`` (JSON) under "finance", with safe defaults."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from network import jsoncol
from network.conversions import cache
from network.errors import NotFoundError
from network.tenants.tables import Network

# A commission share per referral level, as a percentage of the referred webmaster's payout.
Share = Annotated[str, msgspec.Meta(pattern=r"^\d{1,2}(\.\d{1,2})?$")]


class FinancePolicy(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False):
    # Referral levels: level 1 is the direct referrer; 2 to 7 levels as in the seeds (empty: no programme).
    referral_shares: Annotated[list[Share], msgspec.Meta(max_length=7)] = []
    # When an advertiser's prepaid balance cannot cover a conversion's revenue: hold the conversion for
    # review, hold it and also pause the offer, or ignore the balance (post-paid advertisers).
    balance_gate: Literal["hold", "pause_offer", "off"] = "hold"
    # The smallest withdrawal, in the network currency ("0": none, as the seeds ask).
    min_withdrawal: Annotated[str, msgspec.Meta(pattern=r"^\d{1,12}(\.\d{1,4})?$")] = "0"
    # A postback whose click is not stored yet waits this long for it before `unknown_click`.
    attribution_grace_seconds: Annotated[int, msgspec.Meta(ge=0, le=86400)] = 600
    # Consecutive failed deliveries after which an outgoing postback endpoint is paused.
    outgoing_pause_after: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 20
    # Delivery attempts of one outgoing postback before it becomes a dead letter.
    outgoing_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=50)] = 8

    def shares(self) -> list[Decimal]:
        return [Decimal(s) / 100 for s in self.referral_shares]


async def load(tenant_id: int) -> tuple[FinancePolicy, dict[str, str]]:
    """The policy and the network's (timezone, currency); cached on the postback path (conversions/cache.py).
    Callers must not change what they get."""
    found = await cache.cached("finance", tenant_id, lambda: _read(tenant_id))
    if found is None:
        raise NotFoundError("network not found")
    return found


async def _read(tenant_id: int) -> tuple[FinancePolicy, dict[str, str]] | None:
    row = (
        await Network.select(Network.settings, Network.timezone, Network.currency)
        .where(Network.id == tenant_id)
        .first()
    )
    if row is None:
        return None
    settings = jsoncol.load(row["settings"]) or {}
    policy = msgspec.convert(settings.get("finance", {}), FinancePolicy)
    return policy, {"timezone": row["timezone"], "currency": row["currency"]}


async def save(tenant_id: int, policy: FinancePolicy) -> None:
    row = await Network.select(Network.settings).where(Network.id == tenant_id).first()
    settings = jsoncol.load(row["settings"]) if row else {}
    settings = {**(settings or {}), "finance": msgspec.to_builtins(policy)}
    await Network.update({Network.settings: jsoncol.dump(settings)}).where(Network.id == tenant_id)
