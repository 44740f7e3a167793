"""Webmasters' postback endpoints: saved only after the SSRF guard accepts the URL; the delivery log,
replay of dead or paused deliveries, and a test fire."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from network import jsoncol
from network.audit import service as audit
from network.errors import NotFoundError, PermissionDeniedError, ValidationError
from network.offers import service as offers
from network.outbound.ssrf import SsrfError, check_url
from network.outgoing import delivery, macros
from network.outgoing.schemas import AttemptOut, DeliveryOut, EndpointIn, EndpointOut, EndpointUpdate
from network.outgoing.tables import PostbackAttempt, PostbackDelivery, PostbackEndpoint
from network.pagination import Page
from network.principal import Principal, Role
from network.transaction import atomic

Row = dict[str, Any]
SAMPLE = dict.fromkeys(macros.MACROS, "1")


def check_template(url: str) -> str:
    """Normalise CAKE tokens, refuse unknown macros, and run the save-time SSRF check on the URL with the
    macros filled in (a macro cannot change the host: values are percent-encoded in place)."""
    template = macros.normalise(url.strip())
    scheme_end = template.find("://")
    authority = template[scheme_end + 3 :].split("/", 1)[0].split("?", 1)[0] if scheme_end >= 0 else template
    if "{" in authority or "}" in authority:
        raise ValidationError(
            "macros may only appear in the path and the query, never in the host", field="url"
        )
    bad = macros.unknown(template)
    if bad:
        raise ValidationError(f"unknown macros: {', '.join(bad)} (see docs/postbacks.md)", field="url")
    try:
        check_url(
            macros.render(template, SAMPLE), allow=delivery.current_allowlist(), require_resolvable=False
        )
    except SsrfError as exc:
        raise ValidationError(f"url: {exc}", field="url", code=str(exc.code)) from None
    return template


def _out(row: Row, secret: str | None = None) -> EndpointOut:
    return EndpointOut(
        id=row["id"],
        webmaster_id=row["webmaster"],
        offer_id=row["offer"],
        url=row["url"],
        statuses=list(jsoncol.load(row["statuses"]) or []),
        goals=list(jsoncol.load(row["goals"]) or []),
        enabled=bool(row["enabled"]),
        paused_reason=row["paused_reason"],
        consecutive_failures=int(row["consecutive_failures"]),
        created_at=row["created_at"],
        secret=secret,
    )


def _scope(principal: Principal) -> Any:
    where: Any = PostbackEndpoint.network == principal.network_id
    if principal.role is Role.WEBMASTER:
        where &= PostbackEndpoint.webmaster == principal.webmaster_id
    elif principal.role is Role.ADVERTISER:
        raise PermissionDeniedError("advertisers have no outgoing postbacks")
    return where


async def _endpoint(principal: Principal, endpoint_id: int) -> Row:
    row: Row | None = (
        await PostbackEndpoint.select()
        .where(_scope(principal) & (PostbackEndpoint.id == endpoint_id))
        .first()
    )
    if row is None:
        raise NotFoundError("postback endpoint not found")
    return row


async def create(principal: Principal, data: EndpointIn) -> EndpointOut:
    assert principal.webmaster_id is not None
    template = check_template(data.url)
    if data.offer_id is not None:
        await offers.load_visible(principal, data.offer_id)
    secret = secrets.token_hex(32)
    async with atomic():
        rows = await PostbackEndpoint.insert(
            PostbackEndpoint(
                network=principal.network_id,
                webmaster=principal.webmaster_id,
                offer=data.offer_id,
                url=template,
                statuses=jsoncol.dump(data.statuses),
                goals=jsoncol.dump(data.goals),
                secret=secret,
            )
        ).returning(PostbackEndpoint.id)
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="postback_endpoint",
            entity_id=rows[0]["id"],
            action="postback_endpoint.created",
            after={"url": template, "offer": data.offer_id, "statuses": data.statuses, "goals": data.goals},
        )
    return _out(await _endpoint(principal, int(rows[0]["id"])), secret)


async def list_endpoints(principal: Principal) -> list[EndpointOut]:
    rows = await PostbackEndpoint.select().where(_scope(principal)).order_by(PostbackEndpoint.id)
    return [_out(r) for r in rows]


async def update(principal: Principal, endpoint_id: int, data: EndpointUpdate) -> EndpointOut:
    async with atomic():
        row = await _endpoint(principal, endpoint_id)
        values: dict[Any, Any] = {}
        if data.url is not None:
            values[PostbackEndpoint.url] = check_template(data.url)
        if data.statuses is not None:
            values[PostbackEndpoint.statuses] = jsoncol.dump(data.statuses)
        if data.goals is not None:
            values[PostbackEndpoint.goals] = jsoncol.dump(data.goals)
        if data.enabled is not None:
            values[PostbackEndpoint.enabled] = data.enabled
            if data.enabled:
                values[PostbackEndpoint.paused_reason] = ""
                values[PostbackEndpoint.consecutive_failures] = 0
        if values:
            await PostbackEndpoint.update(values).where(PostbackEndpoint.id == endpoint_id)
            await audit.record(
                network_id=principal.network_id,
                actor=principal,
                entity="postback_endpoint",
                entity_id=endpoint_id,
                action="postback_endpoint.updated",
                before={"url": row["url"], "enabled": row["enabled"]},
                after={k._meta.name: v for k, v in values.items()},
            )
    return _out(await _endpoint(principal, endpoint_id))


async def delete(principal: Principal, endpoint_id: int) -> None:
    """Disable rather than delete: the delivery log keeps pointing at it."""
    await update(principal, endpoint_id, EndpointUpdate(enabled=False))


def _delivery_out(row: Row, attempts: list[Row] | None = None) -> DeliveryOut:
    return DeliveryOut(
        id=row["id"],
        endpoint_id=row["endpoint"],
        conversion_id=row["conversion"],
        event_id=row["event_id"],
        event=row["event"],
        url=row["url"],
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_http_status=row["last_http_status"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
        log=[
            AttemptOut(
                a["attempt"], a["at"], a["http_status"], a["latency_ms"], a["response_snippet"], a["error"]
            )
            for a in attempts or []
        ],
    )


async def deliveries(
    principal: Principal, *, state: str | None, limit: int, offset: int
) -> Page[DeliveryOut]:
    endpoints = [r["id"] for r in await PostbackEndpoint.select(PostbackEndpoint.id).where(_scope(principal))]
    if not endpoints:
        return Page([], 0, limit, offset)
    where: Any = (PostbackDelivery.network == principal.network_id) & PostbackDelivery.endpoint.is_in(
        endpoints
    )
    if state:
        where &= PostbackDelivery.state == state
    total = await PostbackDelivery.count().where(where)
    rows = (
        await PostbackDelivery.select()
        .where(where)
        .order_by(PostbackDelivery.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return Page([_delivery_out(r) for r in rows], int(total), limit, offset)


async def _delivery(principal: Principal, delivery_id: int) -> Row:
    row: Row | None = (
        await PostbackDelivery.select()
        .where((PostbackDelivery.network == principal.network_id) & (PostbackDelivery.id == delivery_id))
        .first()
    )
    if row is None:
        raise NotFoundError("delivery not found")
    await _endpoint(principal, int(row["endpoint"]))
    return row


async def get_delivery(principal: Principal, delivery_id: int) -> DeliveryOut:
    row = await _delivery(principal, delivery_id)
    attempts = (
        await PostbackAttempt.select()
        .where(PostbackAttempt.delivery == delivery_id)
        .order_by(PostbackAttempt.id)
    )
    return _delivery_out(row, attempts)


async def replay(principal: Principal, delivery_id: int) -> DeliveryOut:
    """Send a delivery again, whatever its state: the same event id, so the receiver can de-duplicate."""
    async with atomic():
        row = await _delivery(principal, delivery_id)
        await PostbackDelivery.update(
            {PostbackDelivery.state: "queued", PostbackDelivery.next_attempt_at: datetime.now(UTC)}
        ).where(PostbackDelivery.id == delivery_id)
        await audit.record(
            network_id=principal.network_id,
            actor=principal,
            entity="postback_delivery",
            entity_id=delivery_id,
            action="postback_delivery.replayed",
            before={"state": row["state"]},
            after={"state": "queued"},
        )
    return await get_delivery(principal, delivery_id)


async def test_fire(principal: Principal, endpoint_id: int) -> DeliveryOut:
    """Send a sample postback to the endpoint now and return the attempt (status, latency, response)."""
    row = await _endpoint(principal, endpoint_id)
    sample = {**SAMPLE, "status": "approved", "click_id": "TEST", "transaction_id": "TEST", "payout": "0.00"}
    event_id = str(uuid.uuid4())
    sample["event_id"] = event_id
    async with atomic():
        inserted = await PostbackDelivery.insert(
            PostbackDelivery(
                network=principal.network_id,
                endpoint=endpoint_id,
                conversion=0,
                event_id=event_id,
                event="test",
                url=macros.render(row["url"], sample),
                state="sending",
            )
        ).returning(PostbackDelivery.id)
    delivery_row = await _delivery(principal, int(inserted[0]["id"]))
    await delivery.deliver_one({**delivery_row, "attempts": 0}, datetime.now(UTC))
    return await get_delivery(principal, int(inserted[0]["id"]))
