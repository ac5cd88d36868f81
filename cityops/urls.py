"""The URL is the state: building and reading the query strings of the pages."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

#: The days a view may ask for: wide enough for any real data, narrow enough that
#: "30 days back" or "7 days ahead" never leaves the calendar (0001-01-01, 9999-12-31).
DAY_RANGE = (dt.date(1970, 1, 1), dt.date(2099, 12, 31))


def parse_day(value: str | None, default: dt.date) -> dt.date:
    """Return the date in ``value`` (YYYY-MM-DD), or ``default`` when empty.

    Raises ``ValueError`` naming the bad value (not a date, or outside
    :data:`DAY_RANGE`).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if not isinstance(value, str):
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}")
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None
    low, high = DAY_RANGE
    if not low <= day <= high:
        raise ValueError(
            f"date {day.isoformat()} is outside {low.isoformat()} to {high.isoformat()}"
        )
    return day


def page_href(path: str, *, scope: str, day: dt.date | str, **extra: str | None) -> str:
    """Return ``path?scope=…&date=…`` plus any non-empty ``extra`` parameters."""
    params = {"scope": scope, "date": str(day)}
    params.update({k: v for k, v in extra.items() if v})
    return f"{path}?{urlencode(params)}"
