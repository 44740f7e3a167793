"""Terms API schemas.

The structs check the shape of a request; the rule values themselves are then re-read from the request body
with ``rules.parse_rule`` so that numbers stay exact (a JSON 0.1 would otherwise become a float). Responses
carry rules as raw canonical JSON for the same reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from network.types import DbId

Note = Annotated[str, msgspec.Meta(max_length=1000)]


class TermsRules(msgspec.Struct, forbid_unknown_fields=True):
    """The four rules of a terms version, each a JsonLogic expression. ``hold_days`` defaults to 0 and
    ``status`` to no automatic status."""

    payout: Any
    revenue: Any
    hold_days: Any = 0
    status: Any = None


class TermsCreate(msgspec.Struct, forbid_unknown_fields=True):
    rules: TermsRules
    # When the version takes effect; now if omitted. It may be in the future, never in the past.
    effective_from: datetime | None = None
    # A private deal for one webmaster, or terms for a webmaster group; offer-wide if neither.
    webmaster_id: DbId | None = None
    group_id: DbId | None = None
    note: Note = ""


class RuleProblemOut(msgspec.Struct):
    pointer: str
    code: str
    message: str


class ValidationOut(msgspec.Struct):
    valid: bool
    problems: list[RuleProblemOut]


class TermsVersionOut(msgspec.Struct):
    id: int
    offer_id: int
    number: int
    scope: Literal["offer", "group", "webmaster"]
    webmaster_id: int | None
    group_id: int | None
    # Webmasters see payout, hold and status rules; revenue (the network's price) is hidden from them.
    rules: dict[str, msgspec.Raw]
    currency: str
    version_hash: str
    effective_from: datetime
    state: Literal["in_force", "upcoming", "superseded"]
    note: str
    created_at: datetime
    accepted_at: datetime | None = None


class DryRunIn(msgspec.Struct, forbid_unknown_fields=True):
    """Evaluate a stored version (``version_id``) or unsaved ``rules`` against a context."""

    context: dict[str, Any]
    version_id: DbId | None = None
    rules: TermsRules | None = None


class TraceStepOut(msgspec.Struct):
    pointer: str
    op: str
    branch: int | None
    short_circuit: bool


class DryRunOut(msgspec.Struct):
    payout: str
    revenue: str
    currency: str
    hold_days: int
    status: str | None
    reason: str | None
    version_hash: str
    trace: list[TraceStepOut]


class BacktestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Compare ``draft`` with a stored version (the offer-wide version in force if omitted), either on the
    offer's real conversions created from ``date_from`` to ``date_to`` (the network's days, inclusive; each
    replayed with the context it was priced with), or on supplied ``samples`` (conversion contexts)."""

    draft: TermsRules
    samples: Annotated[list[dict[str, Any]], msgspec.Meta(max_length=100_000)] | None = None
    date_from: date | None = None
    date_to: date | None = None
    against_version_id: DbId | None = None


class BacktestRow(msgspec.Struct):
    webmaster_id: Any
    count: int
    changed: int
    current_payout: str
    draft_payout: str
    payout_delta: str
    current_revenue: str
    draft_revenue: str
    revenue_delta: str


class BacktestOut(msgspec.Struct):
    against_version_id: int
    currency: str
    totals: BacktestRow
    by_webmaster: list[BacktestRow]
    errors: list[str]
    # "samples" or "conversions"; for conversions, those left out: not billable, or priced without rules.
    source: str = "samples"
    skipped_not_billable: int = 0
    skipped_no_rules: int = 0


class RuleChangeOut(msgspec.Struct):
    pointer: str
    before: msgspec.Raw | None
    after: msgspec.Raw | None


class DiffOut(msgspec.Struct):
    from_version_id: int
    to_version_id: int
    changes: list[RuleChangeOut]


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    valid_until: datetime | None = None


class AcceptanceOut(msgspec.Struct):
    terms_version_id: int
    webmaster_id: int
    accepted_at: datetime
    valid_until: datetime | None


class MyTermsOut(msgspec.Struct):
    offer_id: int
    in_force: TermsVersionOut | None
    upcoming: list[TermsVersionOut]
