"""The demo city's term totals (vectorised for speed, issue 16) keep their rule, and the
demo's creation shows its progress as a percentage."""

from __future__ import annotations

import io

import pandas as pd

from toda_desktop.cli_progress import elapsed_text, live_percent
from toda_desktop.demo.terms import attendance_term

COLUMNS = ("school_days", "absence_days", "sick_days", "accident_days", "suspension_days",
           "late_count", "early_leave_count")


def _frames() -> dict[str, pd.DataFrame]:
    months = [4, 5, 6, 9, 10]
    rows = []
    for code, sick in (("A1", [0, 1, None, 0, 0]), ("B2", [0, 0, 0, 2, 1])):
        for month, value in zip(months, sick, strict=True):
            rows.append({"address_code": code, "school_year": 2025, "month": month,
                         **dict.fromkeys(COLUMNS, 1), "sick_days": value})
    return {
        "attendance_monthly": pd.DataFrame(rows),
        "schools": pd.DataFrame({"school_code": ["J1", "E1"],
                                 "school_type": ["中学校", "小学校"]}),
        "enrollments": pd.DataFrame({"address_code": ["A1", "B2"], "school_year": [2025, 2025],
                                     "school_code": ["J1", "J1"]}),
    }


def test_a_term_sum_is_unknown_when_any_of_its_months_is_unknown() -> None:
    out = attendance_term(_frames()).set_index(["address_code", "term"])
    assert pd.isna(out.loc[("A1", "1学期"), "sick_days"])  # June unknown
    assert out.loc[("A1", "2学期"), "sick_days"] == 0
    assert out.loc[("B2", "1学期"), "sick_days"] == 0
    assert out.loc[("B2", "2学期"), "sick_days"] == 3
    assert out.loc[("A1", "1学期"), "school_days"] == 3


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_at_a_terminal_the_percentage_counts_up_on_one_line() -> None:
    out = _Terminal()
    show = live_percent(out, "デモ都市を作成しています")
    for fraction in (0.0, 0.004, 0.5, 1.0, 1.0):
        show(fraction)
    text = out.getvalue()
    assert text.count("\r") == 3 and text.endswith("100%\n") and text.count("\n") == 1
    assert "  デモ都市を作成しています…  50%" in text


def test_in_a_log_a_line_every_tenth_and_the_time_in_minutes() -> None:
    out = io.StringIO()
    show = live_percent(out, "学習しています")
    for step in range(101):
        show(step / 100)
    assert out.getvalue().count("\n") == 11
    assert elapsed_text(45.2) == "45秒" and elapsed_text(125) == "2分5秒"
