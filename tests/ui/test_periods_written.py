"""The pages write the services' years, months and days in the user's date style, through
the one formatter, from values (no page reads a year back out of text)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.audit.service import AuditRow
from toda_desktop.extraction.service import (
    ConditionCount,
    ExtractionResult,
    ExtractionRow,
    MatchedValue,
)
from toda_desktop.karte.service import KarteRecords, Provenance
from toda_desktop.models import IntegrityState
from toda_desktop.phrase import SchoolYear
from ui import style
from ui.audit.model import AuditModel
from ui.overview.page import describe_integrity
from ui.pupil_tables import PUPIL_HEADERS, RIGHT, ExtractionRowsModel, KarteRecordsModel

pytestmark = pytest.mark.gui
W, S = DateStyle.WAREKI, DateStyle.SEIREKI
DISPLAY, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole

CONDITION = ("出欠状況（月次） ", SchoolYear(2025), " 6月: 欠席日数が5以上")
VALUE = ("7（", SchoolMonth(2025, 6), "）")


def _result() -> ExtractionResult:
    row = ExtractionRow(
        pupil_id=1, name="架空　一郎", name_kana="カクウ イチロウ", school_name="第一小学校",
        school_code="S1", grade=4, class_name="1", seat_number=3,
        birth_date=date(2016, 5, 1), address_code=None,
        values=(MatchedValue(CONDITION, VALUE),))
    return ExtractionResult(name="テスト", school_year=2025, population=10, rows=(row,),
                            conditions=(CONDITION,), counts=(ConditionCount(CONDITION, 1),),
                            kinds=("attendance_monthly",), run_at=datetime(2026, 6, 1, 9, 0))


@pytest.mark.parametrize(("date_style", "year", "month"), [
    (W, "令和7年度", "令和7年6月"), (S, "2025年度", "2025年6月")])
def test_extraction_rows_write_conditions_and_values_in_the_date_style(
        qapp: QApplication, date_style: DateStyle, year: str, month: str) -> None:
    model = ExtractionRowsModel(date_style)
    model.set_result(_result())
    column = len(PUPIL_HEADERS)
    assert model.data(model.index(0, column), DISPLAY) == f"7（{month}）"
    assert model.headerData(column, Qt.Orientation.Horizontal, TIP) == (
        f"出欠状況（月次） {year} 6月: 欠席日数が5以上")


def test_karte_records_write_days_align_numbers_and_mute_provenance(qapp: QApplication) -> None:
    records = KarteRecords(
        kind="health_room_visits", label="保健室利用", title=("保健室利用 ", SchoolMonth(2025, 6)),
        headers=("来室日", "回数", "年度"), keys=("visit_date", "count", "school_year"),
        types=("date", "int", "school_year"),
        rows=(("2025-06-03", 12, 2025), ("2025-05-01", 3, 2025)), record_ids=(1, 2),
        provenance=(Provenance(4, "保健室.csv", datetime(2025, 7, 1, 10, 0)),
                    Provenance(None, "", None)))
    model = KarteRecordsModel(W)
    model.set_records(records)
    assert model.headers == ("来室日", "回数", "年度", "取込元ファイル", "取込番号", "取込日")
    assert [model.cell(0, c) for c in range(6)] == [
        "令和7年6月3日", "12", "令和7年度", "保健室.csv", "#4", "令和7年7月1日"]
    assert [model.cell(1, c) for c in (3, 4, 5)] == ["—", "—", "—"]
    assert model.data(model.index(0, 1), Qt.ItemDataRole.TextAlignmentRole) == RIGHT
    assert model.data(model.index(0, 2), Qt.ItemDataRole.TextAlignmentRole) is None
    assert model.data(model.index(0, 3), Qt.ItemDataRole.ForegroundRole).color().name() == (
        style.MUTED_COLOR)
    assert "取込日時: 令和7年7月1日 10:00" in model.data(model.index(0, 4), TIP)
    assert model.sort_key(1, 1) < model.sort_key(0, 1)  # 3 before 12: numbers, not text


def test_audit_rows_write_their_months_and_years_in_the_date_style(qapp: QApplication) -> None:
    row = AuditRow(id=1, at=datetime(2026, 6, 1, 9, 0), actor="lead", action="risk_score",
                   action_label="見守りアラートの作成", outcome_label="成功",
                   target=("見守りアラート ", SchoolMonth(2025, 10)), pupil_id=None,
                   detail=("年度: ", SchoolYear(2025)))
    model = AuditModel(W)
    model.set_rows([row])
    assert model.cells(row)[5] == "見守りアラート 令和7年10月"
    assert model.cells(row)[7] == "年度: 令和7年度"
    assert AuditModel(S).cells(row)[5] == "見守りアラート 2025年10月"


def test_the_integrity_finding_is_written_with_its_time_in_the_date_style() -> None:
    state = IntegrityState(ok=False, checked_at=None, message=(
        "監査ログに異常があります：", datetime(2026, 11, 27, 9, 5), " に巻き戻されました。"))
    assert describe_integrity(state, W)[1] == (
        "監査ログに異常があります：令和8年11月27日 09:05 に巻き戻されました。")
    assert describe_integrity(state, S)[1] == (
        "監査ログに異常があります：2026年11月27日 09:05 に巻き戻されました。")
