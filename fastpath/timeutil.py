"""Calendar arithmetic on epoch seconds in a fixed UTC offset, written with integers so both engines agree."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86400


def local_seconds(ts: float, utc_offset_s: int) -> int:
    return math.floor(ts) + utc_offset_s


def day_index(ts: float, utc_offset_s: int) -> int:
    """Days since 1970-01-01 in the network's offset."""
    return local_seconds(ts, utc_offset_s) // DAY


def weekday_hour(ts: float, utc_offset_s: int) -> tuple[int, int]:
    """(weekday with Monday = 0, hour 0-23) in the network's offset."""
    secs = local_seconds(ts, utc_offset_s)
    day = secs // DAY
    return (day + 3) % 7, (secs % DAY) // 3600


def month_index(day: int) -> int:
    """year * 12 + (month - 1) of a day index (Howard Hinnant's civil_from_days)."""
    z = day + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year * 12 + month - 1


def resolve_utc_offset(tz_name: str | None, utc_offset_s: int, at: float) -> int:
    """The offset in force at ``at``: a tz name is resolved once, at snapshot build time.

    A DST change therefore takes effect with the next snapshot; network/ rebuilds snapshots often enough.
    """
    if tz_name is None:
        return utc_offset_s
    offset = datetime.fromtimestamp(at, ZoneInfo(tz_name)).utcoffset()
    return int((offset or timedelta(0)).total_seconds())
