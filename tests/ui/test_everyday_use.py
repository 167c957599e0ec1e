"""Everyday use (issue 16) at a laptop's maximised 1366×697: the window stays within the
screen, the menu does not scroll, the karte has one scroll bar with its charts in sight, F1
opens the manual, Ctrl+F goes to search, Ctrl+P prints pages that can, Ctrl+C copies the
selected cells as shown (logged), and 権限設定 is edited through its table."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.conftest import SCREENSHOT_DIR, ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.policy.model import parse_policy_text
from ui.help.topics import TOPICS, manual_text, topic_for, topic_text
from ui.help.window import HelpWindow
from ui.karte.page import KartePage, KarteView
from ui.main_window import MainWindow
from ui.policy.matrix import COLUMNS
from ui.policy.page import PolicyPage
from ui.search.page import SearchPage

pytestmark = pytest.mark.gui

LAPTOP = (1366, 697)
SHOTS = SCREENSHOT_DIR / "everyday_use"  # for a person to look at (not checked)
SHOTS.mkdir(parents=True, exist_ok=True)


def _laptop_window(qtbot: QtBot, make_shell: ShellFactory, login: str = "demo-lead"
                   ) -> MainWindow:
    window = sign_in(qtbot, make_shell(), login)
    window.resize(*LAPTOP)
    qtbot.wait(50)
    return window


def _karte(qtbot: QtBot, window: MainWindow, pupil_id: int = 1) -> KarteView:
    page = window.show_page("児童生徒カルテ")
    assert isinstance(page, KartePage)
    with qtbot.waitSignal(page.opened, timeout=WAIT_MS):
        page.open_pupil(pupil_id)
    view = page.current_view()
    assert view is not None
    qtbot.wait(100)
    return view


class _TallPage(QWidget):
    """A page that fills (as 見守りアラート does with its lists), and can print."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(1400)
        self.printed = 0

    def print_page(self) -> None:
        self.printed += 1


def test_the_window_opens_within_the_screen_and_a_filling_page_does_not_grow_it(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    room = window.screen().availableGeometry()
    assert window.frameGeometry().height() <= room.height() + 40
    assert window.width() <= room.width() and window.height() <= room.height()
    window.resize(*LAPTOP)
    tall = _TallPage()
    window.add_page("長いページ", tall)
    window.show_page("長いページ")
    qtbot.wait(100)
    assert window.height() == LAPTOP[1]
    assert window.minimumSizeHint().height() <= LAPTOP[1]
    assert window.page_scroll.verticalScrollBar().maximum() > 0  # it scrolls inside instead


def test_at_697_pixels_the_menu_shows_every_page_without_scrolling(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    window = _laptop_window(qtbot, make_shell)
    assert window.navigation.verticalScrollBar().maximum() == 0, window.page_titles()
    for title in ("ケース会議", "学校カルテ"):  # pages other branches add this session
        window.add_page(title, QWidget(), "児童生徒")
    qtbot.wait(50)
    assert window.navigation.verticalScrollBar().maximum() == 0, window.page_titles()
    assert window.findChildren(QWidget, "storeKindBanner")[0].height() <= 24  # slim strip
    assert window.menuBar().cornerWidget() is not None  # the user and サインアウト


def test_the_karte_has_one_scroll_bar_and_its_first_chart_in_sight_at_697(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    window = _laptop_window(qtbot, make_shell)
    view = _karte(qtbot, window)
    qtbot.wait(200)
    window.grab().save(str(SHOTS / "karte_1366x697.png"))
    assert window.page_scroll.verticalScrollBar().maximum() == 0  # the page does not scroll
    areas = [a for a in view.findChildren(QScrollArea) if a.isVisible()]
    assert areas == [view.charts_scroll]  # no scroll area around the karte itself
    chart = view.chart_views[0]
    top = chart.mapTo(window, chart.rect().topLeft()).y()
    assert top + 120 < window.height()  # the chart is in sight, not below the fold
    tab_texts = [view.tabs.tabText(i) for i in range(view.tabs.count())]
    bar = view.tabs.tabBar()
    for i, text in enumerate(tab_texts):  # 「教育相談・SC/SSW相談（1）」 is not cut
        assert bar.tabRect(i).width() >= bar.fontMetrics().horizontalAdvance(text), text
    assert view.risk_section is not None and view.risk_section.compact
    assert not view.risk_section.reasons_label.isVisible()
    view.risk_section.details_button.click()  # 詳しく表示
    assert not view.risk_section.compact
    lines = [w.text() for w in view.coverage_box.findChildren(QLabel)]
    assert any("分まで" in t or "日まで" in t for t in lines)
    assert not any("時点" in t for t in lines)  # not the import date


def test_f1_opens_the_manual_at_the_page_in_sight(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    window = _laptop_window(qtbot, make_shell)
    window.show_page("児童生徒検索")
    window.activateWindow()
    qtbot.keyClick(window.navigation, Qt.Key.Key_F1)
    help_window = window.findChild(HelpWindow)
    assert help_window is not None and help_window.isVisible()
    assert help_window.shown_key == "search_karte"
    assert "児童生徒検索" in help_window.browser.toPlainText()
    help_window.grab().save(str(SHOTS / "help_search.png"))
    window.show_page("権限設定")
    window.help_action.trigger()
    assert help_window.shown_key == "admin"
    window.show_lock(QWidget())  # the lock screen stands alone
    assert not help_window.isVisible()


def test_every_manual_page_is_japanese_and_its_links_open_other_pages() -> None:
    keys = {t.key for t in TOPICS}
    for t in TOPICS:
        text = topic_text(t.key)
        assert text.startswith("# ") and len(text) > 200, t.key
        for link in [part.split(")")[0] for part in text.split("](")[1:]]:
            assert link.endswith(".md") and link[:-3] in keys, (t.key, link)
    assert topic_for("見守りアラート").key == "alerts"
    assert topic_for("ほかの画面").key == "index"


def test_ctrl_f_goes_to_search_and_ctrl_p_prints_only_pages_that_can(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    window = _laptop_window(qtbot, make_shell)
    window.show_page("データ概要")
    window.activateWindow()
    qtbot.keyClick(window.navigation, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    page = window.pages.currentWidget()
    assert isinstance(page, SearchPage) and window.current_title() == "児童生徒検索"
    assert QApplication.focusWidget() is page.query_edit
    assert not window.print_action.isEnabled()  # search has no print_page
    tall = _TallPage()
    window.add_page("印刷できるページ", tall)
    window.show_page("印刷できるページ")
    assert window.print_action.isEnabled()
    qtbot.keyClick(window.navigation, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert tall.printed == 1
    window.show_page("データ概要")
    window.print_action.trigger()
    assert tall.printed == 1
    window.show_page("印刷できるページ")
    window.set_can_print(False)  # a role without 印刷
    assert not window.print_action.isEnabled()
    window.print_current()
    assert tall.printed == 1


def test_ctrl_c_copies_the_selected_cells_as_shown_and_logs_the_copy(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    window.resize(*LAPTOP)
    view = _karte(qtbot, window)
    panel = view.records_panel
    with qtbot.waitSignal(view.records_shown, timeout=WAIT_MS):
        view.show_linked("attendance_monthly")
    table, proxy = panel.table, panel.proxy
    assert proxy.rowCount() >= 2 and proxy.columnCount() >= 3
    table.setColumnHidden(1, True)  # only what is shown is copied
    selection = QItemSelection(proxy.index(0, 0), proxy.index(1, 2))
    table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    table.setFocus()
    QGuiApplication.clipboard().setText("")
    window.activateWindow()
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(QGuiApplication.clipboard().text()), timeout=WAIT_MS)
    lines = QGuiApplication.clipboard().text().split("\r\n")
    expected = [f"{proxy.index(r, 0).data()}\t{proxy.index(r, 2).data()}" for r in (0, 1)]
    assert lines[:2] == expected and lines[2:] == [""]
    assert shell.signed is not None
    copies = shell.signed.audit_view.entries(AuditFilter(action="copy_cells"))
    assert copies and copies[0].pupil_id == view.pupil_id
    window.navigation.setFocus()  # the menu holds no data: nothing copied, nothing logged
    QGuiApplication.clipboard().setText("")
    window.copy_cells()
    qtbot.wait(200)
    assert QGuiApplication.clipboard().text() == ""
    assert len(shell.signed.audit_view.entries(AuditFilter(action="copy_cells"))) == len(copies)


def test_a_role_without_export_gets_no_copy_and_is_told_why(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-liaison")
    view = _karte(qtbot, window)
    table = view.linked_table
    table.setCurrentCell(0, 0)
    QGuiApplication.clipboard().setText("前の内容")
    table.setFocus()
    window.copy_cells()
    qtbot.waitUntil(lambda: "権限" in window.statusBar().currentMessage(), timeout=WAIT_MS)
    assert QGuiApplication.clipboard().text() == "前の内容"


def test_the_policy_is_edited_in_its_table_and_saved_through_the_service_with_an_audit(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    shell = make_shell()
    window = _laptop_window(qtbot, make_shell=lambda: shell)
    page = window.show_page("権限設定")
    assert isinstance(page, PolicyPage)
    qtbot.waitUntil(lambda: page.loaded, timeout=WAIT_MS)
    assert not page.editor.isVisible()  # the TOML text only behind 詳細
    model, table = page.model, page.table
    last = table.visualRect(model.index(model.rowCount() - 1, 0))
    assert last.bottom() <= table.viewport().height()  # the last role is not cut
    assert page.save_button.isVisible()
    window.grab().save(str(SHOTS / "policy_1366x697.png"))
    liaison = [r.key for r in model.roles].index("liaison")
    export = COLUMNS.index("export") + 1
    table.setCurrentIndex(model.index(liaison, export))
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert model.index(liaison, export).data() == "●"
    page.save()
    assert page.confirmation is not None
    assert "出力" in page.confirmation.text()
    page.confirmation.button(QMessageBox.StandardButton.Yes).click()  # 保存する
    qtbot.waitUntil(lambda: not page.modified, timeout=WAIT_MS)
    assert shell.signed is not None
    saved = parse_policy_text(shell.signed.policy_admin.current_text())
    assert saved.role("liaison").may("export")
    changed = shell.signed.audit_view.entries(AuditFilter(action="policy_changed"))
    assert changed and any(word in str(changed[0].detail) for word in ("liaison", "調整"))
    page.details_button.click()
    assert page.editor.isVisible() and "liaison" in page.editor.toPlainText()


def test_the_manual_in_docs_is_the_one_the_help_menu_shows() -> None:
    manual = (Path(__file__).resolve().parents[2] / "docs" / "USER_MANUAL.md").read_text(
        encoding="utf-8")
    assert manual == manual_text()
    for t in TOPICS:
        assert f"## {t.title.split('（')[0]}" in manual
