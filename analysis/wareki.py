"""Japanese era (和暦) dates: parsing what schools type, and writing what staff read.

A small table with each era's first day is enough and is right where libraries were wrong
(REFERENCE_NOTES: one read "R4.4.1" as 1341). 元年 is year 1. A date before an era's first day
(e.g. 平成31年5月1日) is rejected rather than silently moved.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from kernel.date_style import DateStyle


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    first_day: date


ERAS: tuple[Era, ...] = (
    Era("令和", "R", date(2019, 5, 1)),
    Era("平成", "H", date(1989, 1, 8)),
    Era("昭和", "S", date(1926, 12, 25)),
    Era("大正", "T", date(1912, 7, 30)),
)
_BY_KEY = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS}
_ERA_DATE = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|[RHST])\s*(?P<year>元|\d{1,2})\s*[年.\-/]\s*"
    r"(?P<month>\d{1,2})\s*[月.\-/]\s*(?P<day>\d{1,2})\s*日?$"
)


_ERA_YEAR = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|[RHST])\s*(?P<year>元|\d{1,2})\s*(?:年度|年)?$"
)


class WarekiError(ValueError):
    """Not a valid era date; the message names the reason in Japanese."""


def era_of(day: date) -> Era:
    for era in ERAS:
        if day >= era.first_day:
            return era
    raise WarekiError("大正より前の日付は扱えません。")


def parse_era_date(text: str) -> date:
    """Parse 令和4年4月1日, R4.4.1, R04/04/01, H31.4.30, 令和元年5月1日 (full width too)."""
    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    match = _ERA_DATE.match(cleaned)
    if match is None:
        raise WarekiError("和暦の日付として読めません。")
    era = _BY_KEY[match["era"]]
    year = 1 if match["year"] == "元" else int(match["year"])
    if year < 1:
        raise WarekiError("和暦の年が正しくありません。")
    try:
        result = date(era.first_day.year + year - 1, int(match["month"]), int(match["day"]))
    except ValueError:
        raise WarekiError("存在しない日付です。") from None
    if result < era.first_day:
        raise WarekiError(f"{era.name}{year}年にその日付はありません。")
    following = [e for e in ERAS if e.first_day > era.first_day]
    if following and result >= min(e.first_day for e in following):
        raise WarekiError(f"{era.name}はその日付より前に終わっています。")
    return result


def parse_era_year(text: str) -> int:
    """The Gregorian year of 令和4年, R4, 令和元年度, H31年度 (年/年度 optional; full width too).

    A year after the era ended (平成32年) is rejected: the era had no such year.
    """
    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    match = _ERA_YEAR.match(cleaned)
    if match is None:
        raise WarekiError("和暦の年として読めません。")
    era = _BY_KEY[match["era"]]
    n = 1 if match["year"] == "元" else int(match["year"])
    if n < 1:
        raise WarekiError("和暦の年が正しくありません。")
    year = era.first_day.year + n - 1
    following = [e.first_day for e in ERAS if e.first_day > era.first_day]
    if following and year > min(following).year:
        last = min(following).year - era.first_day.year + 1
        raise WarekiError(f"{era.name}は{last}年までです。")
    return year


def format_era_year(year: int, month: int = 4, day: int = 1) -> str:
    """令和6年 for a Gregorian year (the era in force on the given day of that year)."""
    era = era_of(date(year, month, day))
    n = year - era.first_day.year + 1
    return f"{era.name}{'元' if n == 1 else n}年"


def format_era_date(day: date) -> str:
    era = era_of(day)
    n = day.year - era.first_day.year + 1
    return f"{era.name}{'元' if n == 1 else n}年{day.month}月{day.day}日"


def format_school_year(year: int, style: DateStyle = DateStyle.SEIREKI) -> str:
    """A Japanese school year (April–March) as 2024年度 or 令和6年度.

    2019年度 is 令和元年度, as offices wrote it after the era changed on 1 May 2019.
    """
    if style == DateStyle.WAREKI:
        return format_era_year(year, 5, 1)[:-1] + "年度"
    return f"{year}年度"
