"""What every cabinet's dashboard reads: the last two weeks by day, and this month, from network.stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from admin_ui.session import UiContext
from network.stats import service as stats
from network.stats.schemas import StatsReport, StatsRow

CHART_DAYS = 14


@dataclass(frozen=True)
class Recent:
    today: date
    first: date  # the chart's first day
    days: StatsReport  # grouped by day, CHART_DAYS days up to today
    month: StatsReport  # this month so far, one totals row

    @property
    def today_row(self) -> StatsRow | None:
        return next((r for r in self.days.rows if r.day == self.today), None)


async def recent(ui: UiContext) -> Recent:
    """The reader's own figures (the stats service scopes them to their role), in the network's days."""
    principal = ui.require()
    today = datetime.now(ui.fmt.zone).date()
    first = today - timedelta(days=CHART_DAYS - 1)
    days = await stats.report(principal, stats.StatsQuery(date_from=first, date_to=today, group_by="day"))
    month = await stats.report(
        principal, stats.StatsQuery(date_from=today.replace(day=1), date_to=today, group_by="")
    )
    return Recent(today, first, days, month)
