"""The URL is the state: building and reading the query strings of the pages."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode


def parse_day(value: str | None, default: dt.date) -> dt.date:
    """Return the date in ``value`` (YYYY-MM-DD), or ``default`` when empty.

    Raises ``ValueError`` naming the bad value.
    """
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None


def page_href(path: str, *, scope: str, day: dt.date | str, **extra: str | None) -> str:
    """Return ``path?scope=…&date=…`` plus any non-empty ``extra`` parameters."""
    params = {"scope": scope, "date": str(day)}
    params.update({k: v for k, v in extra.items() if v})
    return f"{path}?{urlencode(params)}"
