"""抽出's condition editor (issue 16): a new condition starts from something a person means
(欠席日数, not 「生年月日 ≥ 今日」), dates are in the user's style, and 削除 asks first and
can be undone."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from kernel.date_style import DateStyle
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from ui.date_field import DateField
from ui.extraction.editors import ThresholdEditor
from ui.extraction.page import ExtractionPage
from ui.extraction.tree import ConditionRow, GroupBox

pytestmark = pytest.mark.gui


def _page(qtbot: QtBot, make_shell: ShellFactory) -> ExtractionPage:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    page = window.show_page("抽出")
    assert isinstance(page, ExtractionPage)
    qtbot.waitUntil(lambda: page.catalog is not None and not page.busy, timeout=WAIT_MS)
    return page


def _answer(box: QMessageBox | None, yes: bool) -> None:
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Yes if yes else QMessageBox.StandardButton.No).click()


def test_a_new_condition_starts_from_absence_days_not_a_birth_date_of_today(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    page = _page(qtbot, make_shell)
    dialog = page.add_condition()
    assert dialog is not None
    editor = dialog.choose_type("threshold")
    assert isinstance(editor, ThresholdEditor)
    field = editor.field_combo.field()
    assert field is not None and (field.kind, field.field) == ("attendance_monthly",
                                                               "absence_days")
    assert editor.value_editor.current is editor.value_editor.line  # a number, typed
    assert editor.value_editor.line.text() == ""  # no value chosen for the user
    # A date field (chosen by the user) is written in the user's date style.
    assert editor.field_combo.choose("students", "birth_date")
    assert editor.value_editor.current is editor.value_editor.date
    assert editor.value_editor.date.text().startswith("令和")
    dialog.reject()


def test_the_date_box_follows_the_date_style_and_reads_what_is_typed(qtbot: QtBot) -> None:
    wareki = DateField(QDate(2026, 12, 7), DateStyle.WAREKI)
    seireki = DateField(QDate(2026, 12, 7), DateStyle.SEIREKI)
    qtbot.addWidget(wareki)
    qtbot.addWidget(seireki)
    assert wareki.text() == "令和8年12月7日"
    assert seireki.text() == "2026年12月7日"
    changes: list[QDate] = []
    wareki.dateChanged.connect(changes.append)
    for typed, expected in (("R8.4.1", QDate(2026, 4, 1)), ("平成31年4月30日", QDate(2019, 4, 30)),
                            ("2025/1/15", QDate(2025, 1, 15))):
        wareki.line.setText(typed)
        wareki.line.editingFinished.emit()
        assert wareki.date() == expected and changes[-1] == expected
    assert wareki.text() == "令和7年1月15日"
    wareki.line.setText("4月31日")  # cannot be read: the date stays, the box says so
    wareki.line.editingFinished.emit()
    assert wareki.date() == QDate(2025, 1, 15) and wareki.line.styleSheet()


def test_deleting_a_condition_asks_first_and_can_be_undone(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    page = _page(qtbot, make_shell)
    page.set_extraction(page.preset())
    root = page.builder.root
    rows = root.rows()
    assert len(rows) == 4
    second = rows[1]
    second.remove_button.click()
    _answer(page.confirmation, yes=False)  # やめる: nothing changes
    assert root.rows() == rows
    second.remove_button.click()
    _answer(page.confirmation, yes=True)
    assert len(root.rows()) == 3 and second not in root.rows()
    assert page.builder.undo_button.isVisibleTo(page)
    before = [r.node for r in rows]
    page.builder.undo_button.click()
    assert [r.node for r in root.rows()] == before  # back in its place
    assert not page.builder.undo_button.isVisibleTo(page)


def test_deleting_a_group_names_its_conditions_and_comes_back_whole(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    page = _page(qtbot, make_shell)
    page.set_extraction(page.preset())
    root = page.builder.root
    group = root.add_group(root.to_node())  # a copy of the four as a group
    assert isinstance(group, GroupBox) and len(root.rows()) == 8
    box = page.delete_condition(root, group)
    assert "4件" in box.text()
    _answer(box, yes=True)
    assert len(root.rows()) == 4
    page.builder.undo_button.click()
    assert len(root.rows()) == 8 and isinstance(root.children_[-1], GroupBox)
    # Loading another extraction drops the undo (its tree is gone).
    page.set_extraction(page.preset())
    assert not page.builder.undo_button.isVisibleTo(page)
    assert all(isinstance(r, ConditionRow) for r in page.builder.root.rows())
