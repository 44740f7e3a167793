from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from network.http.auth import roles
from network.http.deps import PrincipalDep
from network.principal import Role
from network.stats import csv, service
from network.stats.schemas import StatsReport
from network.types import MAX_ID

A, S, ADV, WM = Role.NETWORK_ADMIN, Role.STAFF, Role.ADVERTISER, Role.WEBMASTER

DateParam = Annotated[
    date | None, QueryParameter(description="Inclusive, in the network's time zone (YYYY-MM-DD).")
]
GroupBy = Annotated[
    str,
    QueryParameter(
        max_length=200,
        description="Comma-separated, at most 3 of: " + ", ".join(service.DIMENSIONS),
    ),
]
IdFilter = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
Country = Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2.")]
Currency = Annotated[
    str | None,
    QueryParameter(pattern=r"^[A-Za-z]{3}$", description="Money in this currency; the network's by default."),
]
Format = Annotated[str, QueryParameter(name="format", pattern=r"^(json|csv)$")]


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ["stats"]

    @get("/", operation_id="stats_report", opt=roles(A, S, ADV, WM))
    async def report(
        self,
        principal: PrincipalDep,
        date_from: DateParam = None,
        date_to: DateParam = None,
        group_by: GroupBy = "day",
        offer_id: IdFilter = None,
        webmaster_id: IdFilter = None,
        country: Country = None,
        currency: Currency = None,
        output: Format = "json",
    ) -> Response[StatsReport | str]:
        """Clicks, conversions by status, CR, EPC and money per day, offer, webmaster, sub id, country or goal
        (docs/stats.md). Webmasters see their own traffic without revenue; advertisers their own offers
        without payout. ``format=csv`` gives the same rows as CSV."""
        query = service.StatsQuery(
            date_from=date_from,
            date_to=date_to,
            group_by=group_by,
            offer_id=offer_id,
            webmaster_id=webmaster_id,
            country=country,
            currency=currency,
        )
        result = await service.report(principal, query)
        if output == "csv":
            name = f"stats-{result.date_from}-{result.date_to}.csv"
            return Response(
                csv.render(result, principal),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return Response(result)
