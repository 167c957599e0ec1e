"""Services hand school years, months, days and times over as values, not inside sentences.

The extraction's descriptions and matched values, the karte's record titles, axis labels
and latest dates, the audit log's targets and details, the chain check's finding and the
overview's integrity finding are phrases (``toda_desktop.phrase``) whose dates are values;
``format_phrase`` writes them in either date style.
"""

from __future__ import annotations

from datetime import date, datetime

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from storage.audit import ChainReport
from storage.registry import default_registry
from toda_desktop.audit.service import chain_message, describe_detail, describe_target
from toda_desktop.extraction.engine import _period_text, _window_text, describe
from toda_desktop.extraction.model import (
    Change,
    CountInWindow,
    Period,
    SurveyPositivity,
    Threshold,
)
from toda_desktop.formatting import format_phrase
from toda_desktop.karte.service import _latest_label, _month_axis, point_source
from toda_desktop.overview.service import _integrity_from_meta
from toda_desktop.phrase import SchoolYear, from_json, phrase, to_json, without_year

W, S = DateStyle.WAREKI, DateStyle.SEIREKI


def test_format_phrase_writes_each_value_in_the_date_style() -> None:
    text = ("年度 ", SchoolYear(2025), "、月 ", SchoolMonth(2026, 1), "、日 ", date(2025, 6, 3),
            "、時刻 ", datetime(2026, 11, 27, 9, 5))
    assert format_phrase(text, S) == (
        "年度 2025年度、月 2026年1月、日 2025年6月3日、時刻 2026年11月27日 09:05")
    assert format_phrase(text, W) == (
        "年度 令和7年度、月 令和8年1月、日 令和7年6月3日、時刻 令和8年11月27日 09:05")
    assert format_phrase("そのままの文", W) == "そのままの文"


def test_a_phrase_keeps_its_values_through_json_and_old_plain_text_reads_as_text() -> None:
    text = ("監査ログに異常があります：", datetime(2026, 11, 27, 9, 5), " に", SchoolYear(2025),
            SchoolMonth(2025, 10), date(2025, 6, 3))
    assert from_json(to_json(text)) == text
    assert from_json("記録 3 が改ざんされています。") == ("記録 3 が改ざんされています。",)
    assert from_json("") == ()


def test_phrase_helpers_join_and_drop_the_leading_year() -> None:
    assert phrase("a", ("", SchoolYear(2024)), "") == ("a", SchoolYear(2024))
    assert without_year((SchoolYear(2024), " 第1回")) == ("第1回",)
    assert without_year(("6月",)) == ("6月",)


def test_extraction_descriptions_hold_the_school_years_as_values() -> None:
    registry = default_registry()
    text = describe(Threshold("attendance_monthly", "absence_days", ">=", 5,
                              period=Period(0, month=6)), registry, 2025)
    assert SchoolYear(2025) in text
    assert format_phrase(text, W) == (
        "出欠状況（月次） 令和7年度 6月: 欠席日数が5以上（いずれかの記録）")
    change = describe(Change(SurveyPositivity("LESSON"), Period(-1, round=2),
                             Period(0, round=1)), registry, 2025)
    assert [p for p in change if isinstance(p, SchoolYear)] == [SchoolYear(2024),
                                                               SchoolYear(2025)]
    relative = describe(CountInWindow("health_room_visits", 3, 30), registry)
    assert relative == ("保健室利用が当該年度に30日以内で3回以上",)  # no base year: words


def test_extraction_values_name_the_month_year_or_day_as_values() -> None:
    assert _period_text("2025-10") == ("（", SchoolMonth(2025, 10), "）")
    assert _period_text("2025") == ("（", SchoolYear(2025), "）")
    assert _period_text("1学期") == ("（1学期）",)
    assert _window_text(3, "2025-05-25", 30) == ("最多3回（", date(2025, 5, 25), "までの30日間）")


def test_karte_titles_axes_and_latest_dates_are_values() -> None:
    _x, labels, _starts, years = _month_axis([2025, 2024])
    assert years == [2024, 2025] and labels[0] == ("4月",)
    assert point_source("attendance", "2026-01")[2] == (SchoolMonth(2026, 1),)
    assert point_source("academic", "2024", "国語")[2] == (SchoolYear(2024), " 国語")
    assert format_phrase(point_source("survey:HAPPY", "2024-2")[2], W) == (
        "しあわせアンケート 令和6年度 第2回")
    kind = default_registry().kind("attendance_monthly")
    assert _latest_label(kind, "2025") == ((SchoolYear(2025),), None)
    assert _latest_label(kind, "2025-10") == ((SchoolMonth(2025, 10),), date(2025, 10, 1))
    assert _latest_label(kind, "2025-03-14") == ((date(2025, 3, 14),), date(2025, 3, 14))
    assert _latest_label(kind, None) == (("—",), None)


def test_audit_targets_and_details_carry_their_months_years_and_days() -> None:
    assert describe_target("risk_alerts:2025-10") == ("見守りアラート ", SchoolMonth(2025, 10))
    assert describe_target("factors:2025") == ("要因分析 ", SchoolYear(2025))
    detail = describe_detail('{"school_year": 2025, "since": "2025-06-03", "month": "2026-01"}')
    assert SchoolYear(2025) in detail and date(2025, 6, 3) in detail
    assert SchoolMonth(2026, 1) in detail
    assert format_phrase(detail, W) == "年度: 令和7年度、開始日: 令和7年6月3日、月: 令和8年1月"


def test_the_chain_check_names_the_time_of_a_rollback_as_a_value() -> None:
    report = ChainReport(False, 10, None, "（保存されている文）", pending_breaks=2,
                         first_break_at="2026-11-27T09:05:00")
    message = chain_message(report)
    assert message[0] == datetime(2026, 11, 27, 9, 5)
    assert format_phrase(message, W).startswith("令和8年11月27日 09:05 に、")
    assert "（2回）" in format_phrase(message, W)
    clean = ChainReport(True, 10, None, "監査ログ 10 件の改ざんは検出されませんでした。")
    assert chain_message(clean) == ("監査ログ 10 件の改ざんは検出されませんでした。",)


def test_the_overview_reads_a_kept_finding_with_its_values_and_an_older_one_as_text() -> None:
    kept = ("監査ログに異常があります：", datetime(2026, 11, 27, 9, 5), " に…")
    state = _integrity_from_meta({"integrity_checked_at": "2026-11-28T10:00:00",
                                  "integrity_ok": "0", "integrity_message": to_json(kept)})
    assert state.message == kept and state.ok is False
    older = _integrity_from_meta({"integrity_checked_at": "2026-11-28T10:00:00",
                                  "integrity_ok": "1", "integrity_message": "異常はありません。"})
    assert older.message == ("異常はありません。",)
    assert _integrity_from_meta({}).message == ("まだ検査していません。",)
