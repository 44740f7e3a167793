"""A postback's parameters as intake reads them, and its answer as the sender gets it: shared by the litestar
routes (controllers.py) and the raw ASGI handler of GET postbacks (front.py), so both read and answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from network.conversions import intake
from network.conversions.schemas import PostbackAnswer
from network.errors import PROBLEM_BASE

MAX_PARAMS = 100
# Headers that carry the HMAC signature and its timestamp (read as the parameters without the prefix).
SIGNATURE_HEADERS = ("x-cpanet-signature", "x-cpanet-timestamp")


def postback_params(pairs: Iterable[tuple[str, str]], headers: dict[str, str]) -> dict[str, str]:
    """The first value of each parameter, at most MAX_PARAMS of them, then the signature headers where no
    parameter of their name was sent (``headers``: the SIGNATURE_HEADERS that were sent, lower-case)."""
    params: dict[str, str] = {}
    for key, value in pairs:
        if key not in params:
            if len(params) == MAX_PARAMS:
                break
            params[key] = value
    for header in SIGNATURE_HEADERS:
        sent = headers.get(header)
        if sent:
            params.setdefault(header.removeprefix("x-cpanet-"), sent)
    return params


def _answer_body(answer: intake.Answer) -> PostbackAnswer:
    return PostbackAnswer(
        decision=answer.decision,  # type: ignore[arg-type]
        reason=answer.reason,
        message=answer.message,
        conversion_id=answer.conversion_id,
        click_id=answer.click_id,
        offer_id=answer.offer_id,
        goal=answer.goal,
        status=answer.status,
        terms_version=answer.terms_version,
        payout=answer.payout,
        currency=answer.currency,
        hold_until=answer.hold_until,
        attribution=answer.attribution,
    )


def answer_document(answer: intake.Answer) -> tuple[int, str, dict[str, Any]]:
    """HTTP status, media type and body of the answer to a postback."""
    body = msgspec.to_builtins(_answer_body(answer))
    if answer.http_status >= 400:
        # The decision fields, then the RFC 9457 members (``status`` is the HTTP status there, so the
        # conversion's status, always empty on a refusal, is left out).
        problem = {
            **{k: v for k, v in body.items() if v is not None and k != "status"},
            "type": PROBLEM_BASE + "postback-" + (answer.reason or "rejected").replace("_", "-"),
            "title": "Postback rejected",
            "status": answer.http_status,
            "detail": answer.message,
        }
        return answer.http_status, "application/problem+json", problem
    return answer.http_status, "application/json", body
