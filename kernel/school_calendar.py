"""The Japanese school calendar: a school year (年度) runs from April to the next March.

One home for the rule, so every layer means the same thing by the same word:

- a **school year** is an ``int`` naming the calendar year its April falls in (2025年度 runs
  from 2025-04-01 to 2026-03-31);
- a **month offset** counts months of a school year from April (0 = April … 11 = March);
- a :class:`SchoolMonth` is one calendar month as a value: calendar ``year`` and ``month``,
  with its ``school_year`` and ``offset`` derived. Its text form ``YYYY-MM`` is the calendar
  month (``2026-01`` is January 2026, in 2025年度) and is what stored reports and JSON keep.

The storage layer writes the same rule in SQL (``storage/school_calendar_sql.py``); a test
checks both agree month by month.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

FIRST_MONTH = 4
"""April: the first calendar month of a school year."""

SCHOOL_MONTHS: tuple[int, ...] = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
"""Calendar months of a school year in order (index = month offset)."""

_MONTH_TEXT = re.compile(r"^(\d{1,4})-(\d{1,2})$")


def school_year_of(day: date) -> int:
    """The school year a date falls in: 2026-03-31 → 2025, 2026-04-01 → 2026."""
    return school_year_of_month(day.year, day.month)


def school_year_of_month(year: int, month: int) -> int:
    """The school year of calendar month ``month`` of ``year`` (January–March: the year before)."""
    return int(year) - (1 if int(month) < FIRST_MONTH else 0)


def calendar_year(school_year: int, month: int) -> int:
    """The calendar year of ``month`` inside ``school_year`` (January–March: the year after)."""
    return int(school_year) + (1 if int(month) < FIRST_MONTH else 0)


def month_offset(month: int) -> int:
    """0 for April … 11 for March."""
    return (int(month) - FIRST_MONTH) % 12


def school_year_start(school_year: int) -> date:
    """1 April of ``school_year``."""
    return date(school_year, FIRST_MONTH, 1)


def school_year_end(school_year: int) -> date:
    """31 March of the year after: the last day of ``school_year``."""
    return date(school_year + 1, FIRST_MONTH, 1) - timedelta(days=1)


@dataclass(frozen=True, order=True)
class SchoolMonth:
    """One calendar month, ordered in time; knows its school year and month offset.

    Build it with :meth:`parse` (``"2025-10"``), :meth:`of` (school year and offset),
    :meth:`of_date` or ``SchoolMonth(year, month)``; ``str()`` gives ``YYYY-MM`` back.
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"not a calendar month: {self.year!r}-{self.month!r}")

    @classmethod
    def parse(cls, text: str) -> SchoolMonth:
        """``YYYY-MM`` (a calendar month) → the month; ValueError when malformed.

        A short year (``25-10``) reads as that year, not as 2025: callers that check a month
        against their data can then say which months exist instead of "malformed"."""
        match = _MONTH_TEXT.match(text.strip())
        if match is None or not 1 <= int(match[2]) <= 12:
            raise ValueError(f"month must be YYYY-MM: {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, school_year: int, offset: int) -> SchoolMonth:
        """The month ``offset`` (0 = April) of ``school_year``; offsets past 11 run on."""
        years, offset = divmod(int(offset), 12)
        month = SCHOOL_MONTHS[offset]
        return cls(calendar_year(int(school_year) + years, month), month)

    @classmethod
    def of_date(cls, day: date) -> SchoolMonth:
        return cls(day.year, day.month)

    @property
    def school_year(self) -> int:
        return school_year_of_month(self.year, self.month)

    @property
    def offset(self) -> int:
        """0 for April … 11 for March."""
        return month_offset(self.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> SchoolMonth:
        return SchoolMonth(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> SchoolMonth:
        return SchoolMonth(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_of(school_year: int) -> Iterator[SchoolMonth]:
    """April … March of ``school_year``."""
    return (SchoolMonth.of(school_year, offset) for offset in range(12))


__all__ = [
    "FIRST_MONTH",
    "SCHOOL_MONTHS",
    "SchoolMonth",
    "calendar_year",
    "month_offset",
    "months_of",
    "school_year_end",
    "school_year_of",
    "school_year_of_month",
    "school_year_start",
]
