"""Rules of the April school calendar (kernel.school_calendar), the enums and the one
progress/cancel declaration."""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from pathlib import Path

import pytest

from analysis.wareki import format_school_year
from kernel.date_style import DateStyle
from kernel.progress import CancelFlag, Progress
from kernel.school_calendar import (
    SCHOOL_MONTHS,
    SchoolMonth,
    calendar_year,
    month_offset,
    months_of,
    school_year_end,
    school_year_of,
    school_year_of_month,
    school_year_start,
)
from kernel.store_kind import StoreKind
from toda_desktop.formatting import format_month

ROOT = Path(__file__).resolve().parents[2]


def test_april_first_belongs_to_the_new_school_year() -> None:
    assert school_year_of(date(2026, 4, 1)) == 2026


def test_march_belongs_to_the_previous_school_year() -> None:
    assert school_year_of(date(2026, 3, 31)) == 2025
    assert school_year_of(date(2026, 1, 1)) == 2025
    assert school_year_of_month(2026, 3) == 2025


def test_december_stays_in_the_school_year_of_its_calendar_year() -> None:
    assert school_year_of(date(2025, 12, 31)) == 2025


def test_january_to_march_of_a_school_year_fall_in_the_next_calendar_year() -> None:
    assert calendar_year(2025, 1) == 2026
    assert calendar_year(2025, 3) == 2026
    assert calendar_year(2025, 4) == 2025
    assert calendar_year(2025, 12) == 2025


def test_a_school_year_runs_from_april_first_to_march_thirty_first() -> None:
    assert school_year_start(2025) == date(2025, 4, 1)
    assert school_year_end(2025) == date(2026, 3, 31)
    assert school_year_end(2023) == date(2024, 3, 31)  # leap year: still 31 March


def test_month_offsets_count_from_april() -> None:
    assert [month_offset(m) for m in SCHOOL_MONTHS] == list(range(12))
    assert SCHOOL_MONTHS[0] == 4 and SCHOOL_MONTHS[-1] == 3


def test_a_month_text_is_a_calendar_month_not_a_school_year_month() -> None:
    month = SchoolMonth.parse("2026-01")
    assert (month.year, month.month) == (2026, 1)
    assert (month.school_year, month.offset) == (2025, 9)


def test_parsing_and_writing_a_month_round_trips() -> None:
    for text in ("2025-04", "2025-10", "2026-03", "2019-05"):
        assert str(SchoolMonth.parse(text)) == text
    assert str(SchoolMonth.parse(" 2025-4 ")) == "2025-04"


@pytest.mark.parametrize(
    "text", ["2025/04", "2025-13", "2025-00", "0-04", "12025-04", "2025-04-01", ""])
def test_a_malformed_month_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        SchoolMonth.parse(text)


def test_a_month_value_outside_one_to_twelve_is_refused() -> None:
    with pytest.raises(ValueError):
        SchoolMonth(2025, 13)


def test_school_year_and_offset_name_the_same_month_as_the_calendar() -> None:
    for school_year in (2019, 2024, 2025):
        for offset in range(12):
            month = SchoolMonth.of(school_year, offset)
            assert (month.school_year, month.offset) == (school_year, offset)
            assert school_year_of(month.first_day) == school_year
            assert school_year_of(month.last_day) == school_year


def test_a_date_in_january_gives_a_month_of_the_previous_school_year() -> None:
    month = SchoolMonth.of_date(date(2026, 1, 15))
    assert month == SchoolMonth(2026, 1) and month.school_year == 2025


def test_an_offset_past_march_runs_into_the_next_school_year() -> None:
    assert SchoolMonth.of(2025, 12) == SchoolMonth(2026, 4)


def test_months_of_a_school_year_are_april_to_march_in_time_order() -> None:
    months = list(months_of(2025))
    assert [str(m) for m in (months[0], months[8], months[9], months[-1])] == [
        "2025-04", "2025-12", "2026-01", "2026-03"]
    assert months == sorted(months)


def test_months_step_across_year_ends() -> None:
    assert SchoolMonth(2025, 12).next() == SchoolMonth(2026, 1)
    assert SchoolMonth(2026, 1).previous() == SchoolMonth(2025, 12)
    assert SchoolMonth(2026, 3).next().school_year == 2026


def test_last_day_of_february_follows_leap_years() -> None:
    assert SchoolMonth(2024, 2).last_day == date(2024, 2, 29)
    assert SchoolMonth(2025, 2).last_day == date(2025, 2, 28)


def test_reiwa_begins_with_school_year_2019_written_as_gannen() -> None:
    assert format_school_year(2019, DateStyle.WAREKI) == "令和元年度"
    assert format_school_year(2025, DateStyle.WAREKI) == "令和7年度"
    assert format_school_year(2018, DateStyle.WAREKI) == "平成30年度"
    assert format_school_year(2025, DateStyle.SEIREKI) == "2025年度"


def test_a_january_month_is_written_in_the_era_of_its_calendar_year() -> None:
    assert format_month(SchoolMonth.of(2025, 9), DateStyle.WAREKI) == "令和8年1月"
    assert format_month(SchoolMonth.parse("2019-04"), DateStyle.WAREKI) == "平成31年4月"
    assert format_month(SchoolMonth.parse("2025-10"), DateStyle.SEIREKI) == "2025年10月"


def test_date_style_and_store_kind_keep_their_stored_words() -> None:
    assert [s.value for s in DateStyle] == ["seireki", "wareki"]
    assert [k.value for k in StoreKind] == ["production", "demo", "test"]
    assert json.dumps({"kind": StoreKind.DEMO}) == '{"kind": "demo"}'
    assert StoreKind("test") is StoreKind.TEST and DateStyle("wareki") is DateStyle.WAREKI


def test_progress_and_cancel_are_declared_once() -> None:
    """Every layer imports ``kernel.progress``; no module declares the aliases again."""
    progress: Progress = lambda share: None  # noqa: E731
    cancel: CancelFlag = lambda: False  # noqa: E731
    assert progress(0.5) is None and cancel() is False
    again = []
    for package in ("ui", "toda_desktop", "storage", "analysis", "devices"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript):
                    names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                    if {"Progress", "CancelFlag"} & set(names):
                        again.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not again


def test_the_april_rule_is_written_only_in_the_kernel() -> None:
    """No module spells the school year out again (months listed from April, ``month < 4``,
    ``(month - 4) % 12``, ``-04-01``/``-03-31`` bounds): they use kernel.school_calendar, and
    storage its SQL twin ``storage/school_calendar_sql.py``."""
    spelled = re.compile(r"\(4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3\)|-\s*4\)\s*%\s*12"
                         r"|month\w*\)?\s*<\s*4\b|-04-01\"|-03-31\"")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in ("ui", "toda_desktop", "storage", "analysis", "devices")
        for path in (ROOT / package).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelled.search(line)
    ]
    assert not found
