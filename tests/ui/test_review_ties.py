"""名寄せ確認 on a tie (issue 16): two candidates with the same score get no default, so Enter
cannot link the row; the clues that tell them apart are shown (the enrolment of the row's
year, the file's neighbouring rows, a record the row would duplicate)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kernel.date_style import DateStyle
from tests.importing.helpers import truth
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from tests.ui.test_import_pages import LEAD_LOGIN, LEAD_PASSWORD
from tests.ui.test_import_pages import lead_store as lead_store
from tests.ui.test_import_pages import messy_files as messy_files
from tests.ui.test_import_pages import store_with_queue as store_with_queue
from toda_desktop.review.service import CandidateView, Placement, ReviewItemView, RowValue
from ui.review.models import COMPARE_FIELDS, ComparisonModel, agreement, review_line
from ui.review.page import TIE_STATUS, ReviewPage

PLACED = Placement(2025, "13101", "さくら小学校", 6, "1", 6)


def _candidate(pupil_id: int, score: float, **clues: object) -> CandidateView:
    base = CandidateView(pupil_id, score, "氏名一致・生年月日一致", "高橋　陽葵", "タカハシ ヒマリ",
                         date(2013, 4, 21), "女", f"000000{pupil_id}", PLACED)
    return replace(base, **clues)  # type: ignore[arg-type]


def _item(*candidates: CandidateView) -> ReviewItemView:
    return ReviewItemView(1, "attendance_monthly", "出欠状況（月次）", "出欠.csv", 401,
                          "同姓同名", (RowValue("name", "氏名", "高橋　陽葵"),
                                       RowValue("school_year", "年度", "2024")),
                          (RowValue("month", "月", "5"),), 0, candidates)


def _cell(model: ComparisonModel, attribute: str, column: int) -> str:
    row = [f[2] for f in COMPARE_FIELDS].index(attribute)
    return str(model.index(row, column).data())


def test_a_tie_chooses_no_candidate_and_a_clear_best_is_chosen(qtbot: QtBot) -> None:
    model = ComparisonModel(None, DateStyle.WAREKI)
    model.set_line(review_line(_item(_candidate(1, 95), _candidate(2, 95))))
    assert model.tied and model.chosen is None and model.chosen_candidate is None
    model.step(1)  # → picks the first
    assert model.chosen == 0
    model.set_line(review_line(_item(_candidate(1, 80), _candidate(2, 95))))
    assert not model.tied and model.chosen == 1


def test_the_clues_are_written_in_the_users_date_style_and_coloured(qtbot: QtBot) -> None:
    absent = _candidate(1, 95, years=(2025,), rows_in_file=11, next_rows=(400, 402))
    present = _candidate(2, 95, years=(2024, 2025), has_same_record=True)
    line = review_line(_item(absent, present))
    model = ComparisonModel(None, DateStyle.WAREKI)
    model.set_line(line)
    assert _cell(model, "enrolled", 1) == "令和6年度の在籍記録なし"
    assert _cell(model, "enrolled", 2) == "令和6年度に在籍"
    assert "400行目・402行目" in _cell(model, "rows_in_file", 1)
    assert "重複" in _cell(model, "has_same_record", 2)
    assert agreement(line, None, "enrolled", absent) is False
    assert agreement(line, None, "enrolled", present) is True
    assert agreement(line, None, "rows_in_file", absent) is True
    assert agreement(line, None, "has_same_record", present) is False
    seireki = ComparisonModel(None, DateStyle.SEIREKI)
    seireki.set_line(line)
    assert _cell(seireki, "enrolled", 1) == "2024年度の在籍記録なし"


@pytest.mark.gui
def test_enter_on_a_tie_links_nothing_and_says_why(
    qtbot: QtBot, make_shell: ShellFactory, store_with_queue: Path, messy_files: Path,
) -> None:
    window = sign_in(qtbot, make_shell(store_with_queue), LEAD_LOGIN, LEAD_PASSWORD)
    window.resize(1366, 697)
    page = window.show_page("名寄せ確認")
    assert isinstance(page, ReviewPage)
    qtbot.waitUntil(lambda: page.loaded and not page.busy, timeout=WAIT_MS)
    line = page.current_line()
    assert line is not None
    scores = [c.score for c in line.item.candidates]
    assert len(scores) >= 2 and scores[0] == scores[1]  # the demo's same-name pupils
    assert page.selected_candidate() is None
    assert not page.confirm_button.isEnabled()
    qtbot.wait(50)
    # The clues are on screen at 697 pixels, without scrolling the comparison.
    table = page.comparison
    last = table.rowViewportPosition(len(COMPARE_FIELDS) - 1) + table.rowHeight(
        len(COMPARE_FIELDS) - 1)
    assert last <= table.viewport().height()
    page.items_table.setFocus()
    qtbot.keyClick(page.items_table, Qt.Key.Key_Return)
    qtbot.wait(50)
    assert page.decided == [] and not page.busy
    assert TIE_STATUS in page.status_label.text()
    # The clue that decides it: the file's rows just above and below belong to the true pupil.
    true_code = truth(messy_files).set_index(["file", "excel_row"])["address_code"]
    expected = str(true_code[(line.item.source_name, line.item.source_row)])
    assert all(c.enrolled_in(2025) for c in line.item.candidates)  # both enrolled that year
    near = [c for c in line.item.candidates if c.next_rows]
    assert [c.address_code for c in near] == [expected]
    qtbot.keyClick(page.items_table, Qt.Key.Key_Right)
    assert page.selected_candidate() == line.item.candidates[0]
    assert page.confirm_button.isEnabled()
