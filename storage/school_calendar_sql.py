"""The school calendar's rule (``kernel.school_calendar``) written as SQL expressions.

SQL text stays in ``storage``; the rule stays one: ``tests/storage/test_school_calendar_sql.py``
runs these expressions on the real store for every month and compares them with the kernel.
"""

from __future__ import annotations

from kernel.school_calendar import FIRST_MONTH, SchoolMonth


def school_year_of_date(column: str) -> str:
    """The school year of an ISO date column (``YYYY-MM-DD…``): January–March count back."""
    return (
        f"CAST(substr({column}, 1, 4) AS INTEGER)"
        f" - (CAST(substr({column}, 6, 2) AS INTEGER) < {FIRST_MONTH})"
    )


def month_order(column: str) -> str:
    """1 for April … 12 for March, from a calendar-month column: sorts a school year."""
    return (
        f"CASE WHEN {column} >= {FIRST_MONTH} THEN {column} - {FIRST_MONTH - 1}"
        f" ELSE {column} + {13 - FIRST_MONTH} END"
    )


def calendar_month_text(school_year: str, month: str) -> str:
    """``YYYY-MM`` of the calendar month from a school-year and a month column (the text form
    of :class:`~kernel.school_calendar.SchoolMonth`: January of 2025年度 is ``2026-01``)."""
    return (
        f"printf('%04d-%02d', {school_year} + ({month} < {FIRST_MONTH}), {month})"
    )


def month_from_order(school_year: int, order: int) -> SchoolMonth:
    """The month of :func:`month_order` ``order`` (1 = April) in ``school_year``."""
    return SchoolMonth.of(school_year, order - 1)


__all__ = ["calendar_month_text", "month_from_order", "month_order", "school_year_of_date"]
