"""データ概要 starts the day (issue 16): the first tab shows, per role, what changed, the
absence trend, the lists to mark and 名寄せ waiting; storage facts are on the second tab,
whose counts table (with its 合計 row) fits a 1366×768 screen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from ui.main_window import MainWindow
from ui.overview.page import CHART_TAB, START_TAB, STORAGE_TAB, OverviewPage
from ui.shell import Shell

from .flows import WAIT_MS, click, sign_in


def _overview(qtbot: QtBot, window: MainWindow, size: tuple[int, int]) -> OverviewPage:
    window.resize(*size)
    page = window.show_page("データ概要")
    assert isinstance(page, OverviewPage)
    qtbot.waitUntil(lambda: page.day is not None and page.overview is not None, timeout=WAIT_MS)
    return page


def test_a_manager_sees_the_trend_and_what_changed_but_no_alerts_or_review(
    qtbot: QtBot, shell: Shell, screenshot_dir: Path
) -> None:
    window = sign_in(qtbot, shell, "demo-director")
    page = _overview(qtbot, window, (1366, 768))
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == [START_TAB, STORAGE_TAB,
                                                                          CHART_TAB]
    assert page.tabs.currentIndex() == 0
    cards = page.start_view.visible_cards()
    # (the 室長 reads every case domain, so the reviews due are shown too; issue 14)
    assert cards == ["前回のサインインから", "支援の見直し", "欠席の傾向（市全体）", "最近の取込"]
    assert "欠席率" in page.start_view.absence_headline.text()
    assert "前年度" in page.start_view.absence_detail.text()
    assert "今回が初めてのサインインです。" in page.start_view.since_label.text()
    assert not page.start_view.open_buttons()["取込履歴"].isVisibleTo(page)  # not its page
    window.grab().save(str(screenshot_dir / "overview_start_director_1366.png"))


def test_the_lead_opens_the_review_page_from_its_card(qtbot: QtBot, shell: Shell) -> None:
    window = sign_in(qtbot, shell, "demo-lead")
    page = _overview(qtbot, window, (1366, 768))
    cards = page.start_view.visible_cards()
    assert {"見守りアラート", "名寄せ確認", "最近の取込"} <= set(cards)
    assert page.start_view.alerts_headline.text() == "一覧はまだありません"
    assert page.start_view.review_headline.text().startswith("確認待ち")
    click(qtbot, page.start_view.open_buttons()["名寄せ確認"])
    item = window.navigation.currentItem()
    assert item is not None and item.data(Qt.ItemDataRole.AccessibleTextRole) == "名寄せ確認"
    assert window.pages.currentWidget() is not page


def test_the_counts_table_and_its_total_row_fit_1366x768(
    qtbot: QtBot, shell: Shell, screenshot_dir: Path
) -> None:
    window = sign_in(qtbot, shell, "demo-lead")  # the role with every kind: the most rows
    page = _overview(qtbot, window, (1366, 768))
    page.tabs.setCurrentIndex(1)
    qtbot.wait(50)
    table, viewport = page.table, page._scroll.viewport()
    total_row = page.proxy.rowCount() - 1
    assert page.proxy.index(total_row, 0).data() == "合計"
    rect = table.visualRect(page.proxy.index(total_row, 0))
    bottom = table.viewport().mapTo(viewport, QPoint(0, rect.bottom()))
    assert 0 < bottom.y() < viewport.height(), "the 合計 row is below the fold"
    window.grab().save(str(screenshot_dir / "overview_storage_lead_1366.png"))


def test_imports_outside_the_role_are_one_line_not_one_per_import(
    qtbot: QtBot, shell: Shell
) -> None:
    window = sign_in(qtbot, shell, "demo-truancy")
    page = _overview(qtbot, window, (1366, 768))
    day = page.day
    assert day is not None
    hidden = [i for i in day.recent_imports if i.rows is None]
    shown = [i for i in day.recent_imports if i.rows is not None]
    assert hidden  # the demo city imports kinds this role does not see
    lines = page.start_view.imports_label.text().splitlines()
    assert len(lines) == len(shown) + 1
    assert f"担当外のデータの取込が{len(hidden)}件あります" in lines[-1]
    assert "種類・件数・取込者は表示しません" in lines[-1]
