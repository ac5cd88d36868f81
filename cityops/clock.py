"""Time for every layer: the datasets' time zone, today, and Chinese public holidays.

Every dataset is in Asia/Shanghai (``TZ``); :func:`today` is the day there. The
holidays (法定节假日, as announced by the State Council) mark tourism charts and
shape the demo's booking peaks. Add each year's dates when the State Council
publishes them (usually in November).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """Return today's date in Asia/Shanghai, the time zone of every dataset."""
    return dt.datetime.now(TZ).date()


#: (first day, last day, Chinese name) of each official holiday period.
HOLIDAYS: tuple[tuple[str, str, str], ...] = (
    ("2025-01-01", "2025-01-01", "元旦"),
    ("2025-01-28", "2025-02-04", "春节"),
    ("2025-04-04", "2025-04-06", "清明节"),
    ("2025-05-01", "2025-05-05", "劳动节"),
    ("2025-05-31", "2025-06-02", "端午节"),
    ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
)


def holiday_name(day: dt.date) -> str | None:
    """Return the holiday's Chinese name if ``day`` is an official holiday, else None."""
    iso = day.isoformat()
    for first, last, name in HOLIDAYS:
        if first <= iso <= last:
            return name
    return None


def is_holiday(day: dt.date) -> bool:
    """Return True when ``day`` is an official public holiday."""
    return holiday_name(day) is not None
