"""A lone surrogate pasted into the search box never ends in an unexplained error (issue 12,
finding 14): Qt keeps only whole characters in the box, and the search service refuses any
that reaches it in Japanese (``tests/storage/test_damage_and_broken_text_errors.py``)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from ui.search.page import SearchPage

pytestmark = pytest.mark.gui


def test_a_lone_surrogate_typed_into_the_search_box_searches_the_whole_characters(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    page = window.show_page("児童生徒検索")
    assert isinstance(page, SearchPage)
    page.query_edit.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString("高橋\ud800")
    QApplication.sendEvent(page.query_edit, event)
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        qtbot.keyClick(page.query_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert page.results is not None and page.results.query == "高橋"
    assert page.count_label.text() == f"{len(page.model.hits)}件"
