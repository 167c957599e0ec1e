"""How numbers, sizes and dates are written for staff (the UI and the command line share it)."""

from __future__ import annotations

from datetime import date, datetime

from analysis.wareki import format_era_date, format_school_year

DATE_STYLES = ("seireki", "wareki")


def format_count(n: int) -> str:
    return f"{n:,}"


def format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_date(day: date | datetime | None, style: str = "seireki") -> str:
    if day is None:
        return "—"
    plain = day.date() if isinstance(day, datetime) else day
    if style == "wareki":
        return format_era_date(plain)
    return f"{plain.year}年{plain.month}月{plain.day}日"


def format_datetime(moment: datetime | None, style: str = "seireki") -> str:
    if moment is None:
        return "—"
    return f"{format_date(moment, style)} {moment:%H:%M}"


__all__ = [
    "DATE_STYLES", "format_bytes", "format_count", "format_date", "format_datetime",
    "format_school_year",
]
