"""Where a pupil is enrolled reads as the school says it, on every screen and sheet."""

from __future__ import annotations

from datetime import datetime

from kernel.date_style import DateStyle
from toda_desktop.cases.model import CaseDomain, CaseSource, CaseStatus, CaseSummary
from toda_desktop.cases.sheet import support_sheet_placement
from toda_desktop.formatting import class_label, enrolment_text, format_placement


def test_a_junior_high_grade_counts_from_one_again() -> None:
    assert format_placement(2025, "東中学校", 8, "1", 3, DateStyle.WAREKI) == (
        "令和7年度 東中学校 2年1組 3番")
    assert format_placement(2025, "けやき小学校", 5, "2", None, DateStyle.SEIREKI) == (
        "2025年度 けやき小学校 5年2組")


def test_a_class_written_with_its_kumi_or_a_name_is_not_given_a_second_kumi() -> None:
    assert class_label(5, "1組") == "5年1組"
    assert class_label(2, "ひまわり") == "2年ひまわり"
    assert class_label(3, "１") == "3年１組"


def test_the_case_sheet_names_the_class_as_the_school_does() -> None:
    summary = CaseSummary(
        key="truancy:1", label="不登校-0001", domain=CaseDomain.TRUANCY, pupil_id=1,
        pupil_name="山田 花子", school_name="東中学校", grade=8, class_name="1", title="",
        status=CaseStatus.OPEN, source=CaseSource.MANUAL, source_ref="",
        opened_by="デモ", opened_at=datetime(2025, 12, 8), updated_at=datetime(2025, 12, 8),
        next_review=None, open_actions=0, meetings=0, placement_year=2025)
    assert support_sheet_placement(summary) == "東中学校 2年1組"


def test_the_school_year_of_an_enrolment_is_kept_whole_on_a_line_of_its_own() -> None:
    text = enrolment_text("けやき小学校", 1, "1", 6, 2025, DateStyle.WAREKI)
    assert text.splitlines() == ["けやき小学校　1年1組 6番", "（令和7年度）"]
    assert enrolment_text("", None, "", None, None, DateStyle.WAREKI) == "—"
