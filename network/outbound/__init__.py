"""Outbound HTTP for outgoing (webmaster) postbacks: SSRF guard with IP pinning, signing, delivery.

Standard library only, synchronous, free of the rest of ``network`` (docs/outbound.md).
"""

from network.outbound.http import DeliveryResult, OutboundRequest, deliver
from network.outbound.signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    signature_headers,
    verify,
)
from network.outbound.ssrf import (
    AllowList,
    ParsedTarget,
    PinnedTarget,
    Resolver,
    SsrfCode,
    SsrfError,
    check_url,
    forbidden_reason,
    resolve_pinned,
    system_resolver,
)

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AllowList",
    "DeliveryResult",
    "OutboundRequest",
    "ParsedTarget",
    "PinnedTarget",
    "Resolver",
    "SsrfCode",
    "SsrfError",
    "check_url",
    "deliver",
    "forbidden_reason",
    "resolve_pinned",
    "sign",
    "signature_headers",
    "system_resolver",
    "verify",
]
