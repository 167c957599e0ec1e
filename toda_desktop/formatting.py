"""How numbers, sizes and dates are written for staff (the UI and the command line share it)."""

from __future__ import annotations

from datetime import date, datetime

from analysis.wareki import format_era_date, format_school_year
from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth

DATE_STYLES = tuple(DateStyle)


def format_count(n: int) -> str:
    return f"{n:,}"


def format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_date(day: date | datetime | None, style: DateStyle = DateStyle.SEIREKI) -> str:
    if day is None:
        return "—"
    plain = day.date() if isinstance(day, datetime) else day
    if style == DateStyle.WAREKI:
        return format_era_date(plain)
    return f"{plain.year}年{plain.month}月{plain.day}日"


def format_month(month: SchoolMonth | str, style: DateStyle = DateStyle.SEIREKI) -> str:
    """A calendar month (or its text ``YYYY-MM``) as 2025年10月 or 令和7年10月."""
    if isinstance(month, str):
        month = SchoolMonth.parse(month)
    text = format_date(month.first_day, style)
    return text[: -len("1日")] if text.endswith("1日") else text


def format_datetime(moment: datetime | None, style: DateStyle = DateStyle.SEIREKI) -> str:
    if moment is None:
        return "—"
    return f"{format_date(moment, style)} {moment:%H:%M}"


__all__ = [
    "DATE_STYLES", "format_bytes", "format_count", "format_date", "format_datetime",
    "format_month",
    "format_school_year",
]
