"""Report periods: a day (日报), a week (周报), a month (月报) or any run of days.

A :class:`Period` is a closed run of calendar days in Asia/Shanghai. Reports and
the API describe a period by its first and last day; the *previous* period is
the run of the same length just before it (a calendar month's previous period
is the previous calendar month, so November compares with October, not with
the 30 days before). Pure: no store, no clock except where a caller passes one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from cityops.urls import DAY_RANGE

Kind = Literal["daily", "weekly", "monthly", "custom"]
KINDS: tuple[Kind, ...] = ("daily", "weekly", "monthly", "custom")
#: The longest period a report or the API describes (a year and a day: a leap year's span).
MAX_DAYS = 366


class PeriodError(ValueError):
    """A period that cannot be described: bad dates, reversed, too long."""


@dataclass(frozen=True)
class Period:
    """The days ``start`` to ``end`` inclusive; ``kind`` names it (日报/周报/月报)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"the period ends ({self.end}) before it starts ({self.start})")
        if self.days > MAX_DAYS:
            raise PeriodError(f"the period is {self.days} days; at most {MAX_DAYS} are reported")

    @property
    def days(self) -> int:
        """Return the number of days in the period."""
        return (self.end - self.start).days + 1

    @property
    def kind(self) -> Kind:
        """Return the period's kind: ``daily``, ``weekly``, ``monthly`` or ``custom``.

        ``weekly`` is Monday to Sunday, ``monthly`` a calendar month.
        """
        if self.days == 1:
            return "daily"
        if self.days == 7 and self.start.weekday() == 0:
            return "weekly"
        if self.start.day == 1 and self.end == _month_end(self.start):
            return "monthly"
        return "custom"

    def previous(self) -> Period:
        """Return the period of the same kind and length just before this one."""
        if self.kind == "monthly":
            last = self.start - dt.timedelta(days=1)
            return Period(last.replace(day=1), last)
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def end_time(self) -> dt.datetime:
        """Return the period's end as a time: midnight after its last day (local, naive)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())

    def start_time(self) -> dt.datetime:
        """Return the period's start: midnight of its first day (local, naive)."""
        return dt.datetime.combine(self.start, dt.time())

    def dates(self) -> list[dt.date]:
        """Return every day of the period, in order."""
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    def slug(self) -> str:
        """Return ``2026-11`` (a month), ``2026-11-25`` (a day) or ``2026-11-01_2026-11-07``."""
        if self.kind == "monthly":
            return self.start.strftime("%Y-%m")
        if self.kind == "daily":
            return self.start.isoformat()
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def _month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def parse_date(text: str | None, what: str) -> dt.date:
    """Return the date of ``YYYY-MM-DD`` text; :class:`PeriodError` naming ``what`` if not one.

    The days a link may name (:data:`cityops.urls.DAY_RANGE`, 1970–2099) bound it too.
    """
    try:
        day = dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise PeriodError(f"{what} must be a date as YYYY-MM-DD, not {text!r}") from None
    low, high = DAY_RANGE
    if not low <= day <= high:
        raise PeriodError(f"{what} must lie between {low} and {high}, not {day}")
    return day


def parse_period(start: str | None, end: str | None) -> Period:
    """Return the period of two ``YYYY-MM-DD`` texts (``end`` defaults to ``start``).

    Raises :class:`PeriodError` with a one-line reason for a bad date, a period
    that ends before it starts or one longer than :data:`MAX_DAYS`.
    """
    first = parse_date(start, "from")
    last = parse_date(end, "to") if end not in (None, "") else first
    return Period(first, last)


def period_of(kind: Kind, day: dt.date) -> Period:
    """Return the day, the Monday–Sunday week or the calendar month containing ``day``."""
    if kind == "weekly":
        monday = day - dt.timedelta(days=day.weekday())
        return Period(monday, monday + dt.timedelta(days=6))
    if kind == "monthly":
        return Period(day.replace(day=1), _month_end(day))
    return Period(day, day)


def last_complete(kind: Kind, today: dt.date) -> Period:
    """Return the last whole day, week or month before ``today`` (what cron reports on)."""
    if kind == "weekly":
        return period_of("weekly", today - dt.timedelta(days=today.weekday() + 1))
    if kind == "monthly":
        return period_of("monthly", today.replace(day=1) - dt.timedelta(days=1))
    return period_of("daily", today - dt.timedelta(days=1))
