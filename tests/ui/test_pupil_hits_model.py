"""Search results say when a pupil's 学年・組 are from an earlier school year."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from toda_desktop.search.former import ENROLLED, EnrollmentStatus
from toda_desktop.search.service import PupilHit
from ui.pupil_tables import PupilHitsModel

pytestmark = pytest.mark.gui


def _hit(pupil_id: int, year: int | None, grade: int | None) -> PupilHit:
    return PupilHit(pupil_id=pupil_id, name="矢野 颯太", name_kana="ヤノ ソウタ",
                    school_name="戸田第一小学校", school_code="13101", grade=grade,
                    class_name="2", seat_number=7, birth_date=date(2015, 5, 1), sex="男",
                    school_year=year, address_code=None, exact=False)


def test_an_enrolment_from_an_earlier_year_is_marked_with_its_year(qapp: QApplication) -> None:
    model = PupilHitsModel("wareki")
    model.set_hits([_hit(1, 2025, 6), _hit(2, 2024, 5), _hit(3, None, None)])
    assert model.cells(model.hits[0])[3] == "小6"
    assert model.cells(model.hits[1])[3] == "小5（令和6年度）"
    assert model.cells(model.hits[2])[3] == ""
    tip = model.data(model.index(1, 4), Qt.ItemDataRole.ToolTipRole)
    assert tip == "令和6年度の在籍です（それより新しい在籍の記録はありません）。"
    assert model.data(model.index(0, 4), Qt.ItemDataRole.ToolTipRole) is None


@pytest.mark.parametrize(("style", "graduated"), [("wareki", "卒業（令和6年度）"),
                                                  ("seireki", "卒業（2024年度）")])
def test_the_status_column_gives_the_leaving_year_in_the_users_date_style(
    qapp: QApplication, style: str, graduated: str,
) -> None:
    """QA: under 和暦 the row said 小5（令和6年度） beside 卒業（2024年度）."""
    model = PupilHitsModel(style)
    left = replace(_hit(1, 2024, 6), status=EnrollmentStatus("graduated", 2024))
    here = replace(_hit(2, 2025, 5), status=ENROLLED)
    model.set_hits([left, here])
    assert model.headers[-1] == "在籍状況"
    assert model.cells(model.hits[0])[-1] == graduated
    assert model.cells(model.hits[1])[-1] == "在籍中"
