"""An export from the window replaces an existing file only after a Japanese question whose
default is No (issue 12, finding 10); the save dialog itself no longer asks."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, answer_purpose, sign_in
from ui.export_flow import confirm_overwrite
from ui.search.page import SearchPage

pytestmark = pytest.mark.gui


def test_no_question_for_a_new_file(qtbot: QtBot, tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    started: list[bool] = []
    assert confirm_overwrite(parent, [tmp_path / "新しい.csv"], started.append) is None
    assert started == [False]


def test_the_question_is_japanese_and_defaults_to_no(qtbot: QtBot, tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    taken = [tmp_path / f"{n}_見守りアラート.csv" for n in range(7)]
    for path in taken:
        path.write_bytes(b"old")
    started: list[bool] = []
    box = confirm_overwrite(parent, [tmp_path / "新しい.csv", *taken], started.append)
    assert isinstance(box, QMessageBox)
    assert box.windowTitle() == "上書きの確認"
    assert box.text().startswith("次の7個のファイルは既にあります。上書きしますか？")
    assert "・ほか2個" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    assert box.button(QMessageBox.StandardButton.No).text() == "上書きしない"
    assert box.button(QMessageBox.StandardButton.Yes).text() == "上書きする"
    box.button(QMessageBox.StandardButton.No).click()
    assert started == []


def test_the_search_page_asks_before_replacing_and_keeps_the_file_on_no(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    page = window.show_page("児童生徒検索")
    assert isinstance(page, SearchPage)
    page.query_edit.setText("ア")
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        page.search_now()
    out = tmp_path / "out"
    out.mkdir()
    target = out / "一覧.csv"
    target.write_bytes(b"last week's list")
    page.choose_export_path = lambda _suffix: out / "一覧"  # type: ignore[method-assign]
    page.choose_purpose = answer_purpose

    page.export()  # the suffix is added first, then the existing file is found
    box = page.overwrite_question
    assert isinstance(box, QMessageBox) and "「一覧.csv」は既にあります" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    qtbot.wait(50)
    assert page.last_export is None and target.read_bytes() == b"last week's list"

    page.export()
    box = page.overwrite_question
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=WAIT_MS)
    assert target.read_text(encoding="utf-8-sig").startswith("氏名")
    assert [p.name for p in out.iterdir()] == ["一覧.csv"]
