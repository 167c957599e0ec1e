"""The school calendar of the demo city: which days are school days, month by month.

Attendance needs 授業日数 per month and the dated records (health-room visits, consultations,
bullying, surveys) must fall on school days. The city uses one calendar for all schools:
weekdays inside the three terms, minus national holidays (approximated by their rules) and a
few school-specific closures (開校記念日・振替休業日) per year. August has the few days after
the summer break; no month is skipped, so a month may in principle have 0 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from kernel.school_calendar import SCHOOL_MONTHS as MONTHS
from kernel.school_calendar import SchoolMonth, calendar_year
from toda_desktop.demo import params


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (7 - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _equinox_day(year: int, base: float) -> int:
    return int(base + 0.242194 * (year - 1980) - (year - 1980) // 4)


def japanese_holidays(year: int) -> set[date]:
    """National holidays of a calendar year, by their rules (close enough for a demo)."""
    days = {
        date(year, 1, 1),
        _nth_monday(year, 1, 2),
        date(year, 2, 11),
        date(year, 3, _equinox_day(year, 20.8431)),
        date(year, 4, 29),
        date(year, 5, 3),
        date(year, 5, 4),
        date(year, 5, 5),
        _nth_monday(year, 7, 3),
        date(year, 8, 11),
        _nth_monday(year, 9, 3),
        date(year, 9, _equinox_day(year, 23.2488)),
        _nth_monday(year, 10, 2),
        date(year, 11, 3),
        date(year, 11, 23),
    }
    days.add(date(year, 2, 23) if year >= 2020 else date(year, 12, 23))
    substitutes = set()
    for d in sorted(days):
        if d.weekday() == 6:
            sub = d + timedelta(days=1)
            while sub in days or sub in substitutes:
                sub += timedelta(days=1)
            substitutes.add(sub)
    return days | substitutes


def _term_dates(school_year: int, terms: list[list[str]]) -> list[date]:
    out: list[date] = []
    for start_md, end_md in terms:
        sm, sd = (int(x) for x in start_md.split("-"))
        em, ed = (int(x) for x in end_md.split("-"))
        start = date(calendar_year(school_year, sm), sm, sd)
        end = date(calendar_year(school_year, em), em, ed)
        d = start
        while d <= end:
            out.append(d)
            d += timedelta(days=1)
    return out


@dataclass(frozen=True)
class SchoolCalendar:
    """School days of several school years, flat and indexed by (year index, month index)."""

    years: tuple[int, ...]
    days: npt.NDArray[np.int64]  # (n_years, 12) school days per month
    dates: npt.NDArray[np.int64]  # every school day as days since 1970-01-01, ascending
    start: npt.NDArray[np.int64]  # (n_years, 12) offset of the month's first day in `dates`

    def random_days(
        self,
        year_idx: npt.NDArray[np.int64],
        month_idx: npt.NDArray[np.int64],
        rng: np.random.Generator,
    ) -> npt.NDArray[np.int64]:
        """A uniformly drawn school day of each given month (the month must have days)."""
        n = self.days[year_idx, month_idx]
        pick = (rng.random(len(year_idx)) * n).astype(np.int64)
        return np.asarray(self.dates[self.start[year_idx, month_idx] + pick], dtype=np.int64)

    def month_end(self, year_idx: int, month_idx: int) -> date:
        """Last calendar day of a month of a school year."""
        return SchoolMonth.of(self.years[year_idx], month_idx).last_day


def build_calendar(years: tuple[int, ...]) -> SchoolCalendar:
    """School days of the given school years from the term windows in the calibration."""
    cal = params.calibration()["calendar"]
    terms: list[list[str]] = cal["terms"]
    closures_per_year = int(cal["closures_per_year"])
    days = np.zeros((len(years), 12), dtype=np.int64)
    start = np.zeros((len(years), 12), dtype=np.int64)
    flat: list[int] = []
    epoch = date(1970, 1, 1)
    for yi, sy in enumerate(years):
        holidays = japanese_holidays(sy) | japanese_holidays(sy + 1)
        school = [d for d in _term_dates(sy, terms) if d.weekday() < 5 and d not in holidays]
        # Closures fixed by the year (not the seed) so every city shares one calendar.
        closed = set(np.random.default_rng(sy).choice(len(school), closures_per_year, False))
        school = [d for i, d in enumerate(school) if i not in closed]
        for mi, m in enumerate(MONTHS):
            month_days = [d for d in school if d.month == m]
            start[yi, mi] = len(flat)
            days[yi, mi] = len(month_days)
            flat.extend((d - epoch).days for d in month_days)
    return SchoolCalendar(tuple(years), days, np.asarray(flat, dtype=np.int64), start)
