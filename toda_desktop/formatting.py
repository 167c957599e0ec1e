"""How numbers, sizes and dates are written for staff (the UI and the command line share it)."""

from __future__ import annotations

from datetime import date, datetime

from analysis.wareki import format_era_date, format_school_year
from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.phrase import Phrase, SchoolYear

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


def format_month(month: SchoolMonth, style: DateStyle = DateStyle.SEIREKI) -> str:
    """A calendar month as 2025年10月 or 令和7年10月 (text months are parsed where they
    enter the program, never here)."""
    text = format_date(month.first_day, style)
    return text[: -len("1日")] if text.endswith("1日") else text


def format_datetime(moment: datetime | None, style: DateStyle = DateStyle.SEIREKI) -> str:
    if moment is None:
        return "—"
    return f"{format_date(moment, style)} {moment:%H:%M}"


def format_phrase(text: Phrase | str, style: DateStyle = DateStyle.SEIREKI) -> str:
    """A service's phrase with its school years, months, days and times in the date style
    (plain text passes through)."""
    if isinstance(text, str):
        return text
    out = []
    for part in text:
        if isinstance(part, SchoolYear):
            out.append(format_school_year(part.year, style))
        elif isinstance(part, SchoolMonth):
            out.append(format_month(part, style))
        elif isinstance(part, datetime):
            out.append(format_datetime(part, style))
        elif isinstance(part, date):
            out.append(format_date(part, style))
        else:
            out.append(part)
    return "".join(out)


# -- what services hand over as fields: the window and the command line write them here, in
# their date style, so no page reads a service's sentence back ------------------------------


def format_percent(share: float | None, digits: int = 1) -> str:
    """A share 0–1 as 「12.3%」 (「—」 when there is none)."""
    return "—" if share is None else f"{share * 100:.{digits}f}%"


def format_number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def format_interval(value: float | None, lo: float | None, hi: float | None, *,
                    percent: bool = True, digits: int = 3) -> str:
    """An estimate with its interval: 「85.7%（50.0〜100.0%）」 or 「0.812（0.790〜0.833）」;
    the estimate alone when the interval is unknown."""
    if percent:
        if lo is None or hi is None:
            return format_percent(value)
        return f"{format_percent(value)}（{lo * 100:.1f}〜{hi * 100:.1f}%）"
    if lo is None or hi is None:
        return format_number(value, digits)
    return (f"{format_number(value, digits)}（{format_number(lo, digits)}〜"
            f"{format_number(hi, digits)}）")


def format_points(value: float | None, lo: float | None, hi: float | None) -> str:
    """A difference of shares in percentage points with its interval:
    「+3.1ポイント（-1.0〜+7.2）」."""
    if value is None:
        return "—"
    low, high = (0.0 if x is None else x for x in (lo, hi))
    return f"{value * 100:+.1f}ポイント（{low * 100:+.1f}〜{high * 100:+.1f}）"


def class_text(class_name: str) -> str:
    """A stored class as staff say it: 「1」→「1組」; 「A組」, a store's older 「1組」 and a
    name of its own (「なかよし」「すみれ学級」) as they are (never 「1組組」)."""
    return f"{class_name}組" if class_name.isdigit() else class_name


def format_placement(school_year: int, school_name: str, grade: int | None, class_name: str,
                     seat_number: int | None, style: DateStyle = DateStyle.SEIREKI) -> str:
    """Where a pupil is enrolled: 「令和7年度 東中学校 2年1組 3番」 (a junior-high grade
    counts from 1 again, as the school says it; blank parts left out)."""
    parts = [format_school_year(school_year, style), school_name,
             class_label(grade, class_name, seat_number)]
    return " ".join(p for p in parts if p)


__all__ = [
    "DATE_STYLES", "class_text", "format_bytes", "format_count", "format_date",
    "format_datetime", "format_interval", "format_month", "format_number", "format_percent",
    "format_phrase", "format_placement",
    "format_points", "format_school_year",
]


# -- stored values as staff read them (screens and printed sheets alike) --------------------

BLANK = "—"


def grade_label(grade: int | None) -> str:
    """学年 in the city's numbering (1–9, 7–9 being junior high) as staff say it."""
    if grade is None:
        return ""
    return f"小{grade}" if grade <= 6 else f"中{grade - 6}"


def class_label(grade: int | None, class_name: str, seat: int | None = None) -> str:
    """「4年1組 3番」 (a junior-high grade counts from 1 again)."""
    parts = []
    if grade is not None:
        parts.append(f"{grade if grade <= 6 else grade - 6}年")
    if class_name:
        parts.append(class_text(class_name))
    text = "".join(parts)
    if seat is not None:
        text += f" {seat}番"
    return text


def enrolment_text(school_name: str, grade: int | None, class_name: str, seat: int | None,
                   school_year: int | None, style: DateStyle) -> str:
    """「けやき小学校　1年1組 6番」 and, on a line of its own, 「（令和7年度）」: a narrow cell
    breaks between the two instead of inside the year (「（令和7年」「度）」)."""
    place = school_name or BLANK
    klass = class_label(grade, class_name, seat)
    if klass:
        place += f"　{klass}"
    if school_year is not None:
        place += f"\n（{format_school_year(school_year, style)}）"
    return place


def format_value(value: object, column_type: str, date_style: DateStyle) -> str:
    """One stored value as staff read it."""
    if value is None or value == "":
        return BLANK
    if column_type == "bool":
        return "はい" if value in (1, True, "1") else "いいえ"
    if column_type == "school_year" and isinstance(value, int):
        return format_school_year(value, date_style)
    if column_type == "month" and isinstance(value, int):
        return f"{value}月"
    if column_type == "grade" and isinstance(value, int):
        return grade_label(value)
    if isinstance(value, str) and (column_type == "date" or _looks_like_day(value)):
        try:
            return format_date(date.fromisoformat(value), date_style)
        except ValueError:
            return value
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _looks_like_day(value: str) -> bool:
    """A stored day (``2025-06-03``) in a column the registry does not type as a date (the
    survey items' extra columns)."""
    return len(value) == 10 and value[4] == "-" and value[7] == "-"
