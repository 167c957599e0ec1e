"""Login, main window and データ概要 against a real demo store (services are not mocked)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from toda_desktop.composition import Application
from toda_desktop.formatting import format_bytes, format_count, format_school_year
from ui.background import BackgroundRunner
from ui.login_window import LoginWindow
from ui.main_window import MainWindow
from ui.overview.page import OverviewPage
from ui.shell import Shell

pytestmark = pytest.mark.gui

_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _visible_texts(widget: object) -> list[str]:
    from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

    assert isinstance(widget, QWidget)
    texts = [w.text() for w in widget.findChildren(QLabel) if w.isVisible()]
    texts += [w.text() for w in widget.findChildren(QAbstractButton) if w.isVisible()]
    return [t for t in texts if t]


def _sign_in(qtbot: QtBot, shell: Shell, row: int = 0) -> MainWindow:
    login = shell.login_window
    assert login is not None and login.demo_panel is not None
    with qtbot.waitSignal(shell.main_window_shown, timeout=20000) as blocker:
        login.demo_panel.table.setCurrentCell(row, 0)
        login.demo_panel.choose(row)
        qtbot.mouseClick(login.login_button, Qt.MouseButton.LeftButton)
    window = blocker.args[0]
    assert isinstance(window, MainWindow)
    return window


def _overview_page(qtbot: QtBot, window: MainWindow) -> OverviewPage:
    page = window.pages.currentWidget()
    assert isinstance(page, OverviewPage)
    qtbot.waitUntil(lambda: page.overview is not None, timeout=20000)
    page.show_storage_tab()  # the storage facts are on the second tab (issue 16)
    return page


def test_login_window_is_japanese_and_lists_demo_accounts(
    qtbot: QtBot, shell: Shell, app_ctx: Application, screenshot_dir: Path
) -> None:
    login = shell.show_login()
    qtbot.waitExposed(login)
    assert login.windowTitle() == "戸田市 教育データ デスクトップ — デモ"
    texts = _visible_texts(login)
    for expected in ("ログインID", "パスワード", "サインイン", "デモ用アカウント"):
        assert any(expected in t for t in texts), expected
    # Visible wording is Japanese: no English words besides the demo login ids themselves.
    assert not [t for t in texts if _LATIN_WORD.search(t)]

    accounts = app_ctx.header.demo_accounts
    assert login.demo_panel is not None
    table = login.demo_panel.table
    assert table.rowCount() == len(accounts) > 0
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [
        a.login_id for a in accounts
    ]
    assert table.item(0, 1).text() == accounts[0].role_label

    rect = table.visualItemRect(table.item(2, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert login.login_id_edit.text() == accounts[2].login_id
    assert login.password_edit.text() == accounts[2].password
    login.grab().save(str(screenshot_dir / "login.png"))


def test_wrong_password_shows_inline_japanese_error(
    qtbot: QtBot, shell: Shell, app_ctx: Application, screenshot_dir: Path
) -> None:
    login = shell.show_login()
    qtbot.waitExposed(login)
    login.login_id_edit.setText(app_ctx.header.demo_accounts[0].login_id)
    login.password_edit.setText("wrong-password")
    qtbot.keyClick(login.password_edit, Qt.Key.Key_Return)  # Enter submits
    assert login.busy and not login.login_button.isEnabled()
    qtbot.waitUntil(lambda: login.error_label.isVisible() and not login.busy, timeout=20000)
    assert login.error_label.text() == "ログインIDまたはパスワードが正しくありません。"
    assert login.password_edit.text() == ""
    assert login.login_button.isEnabled()
    assert shell.main_window is None
    login.grab().save(str(screenshot_dir / "login_error.png"))


def test_empty_fields_are_checked_before_signing_in(qtbot: QtBot, shell: Shell) -> None:
    login = shell.show_login()
    login.submit()
    assert login.error_label.text() == "ログインIDを入力してください。"
    assert not login.busy


def test_sign_in_opens_main_window_with_real_overview(
    qtbot: QtBot, shell: Shell, screenshot_dir: Path
) -> None:
    shell.show_login()
    window = _sign_in(qtbot, shell)
    qtbot.waitExposed(window)
    assert shell.login_window is None
    signed = shell.signed
    assert signed is not None
    session = signed.user
    assert window.windowTitle() == (
        f"戸田市 教育データ デスクトップ — デモ — {session.display_name}（{session.role_label}）"
    )
    assert window.page_titles() == [
        "データ概要", "児童生徒検索", "児童生徒カルテ", "抽出", "印刷の記録",
        "支援の予定", "支援ケース", "ケース会議記録の取込", "見守りアラート", "予測モデル",
        "要因分析", "学校カルテ",
        "取込", "名寄せ確認", "取込履歴",
        "アカウント管理", "監査ログ", "権限設定", "出力の承認", "保存期間の管理",
    ]
    status = " ".join(_visible_texts(window.statusBar()))
    assert session.display_name in status and session.role_label in status and "デモ" in status

    page = _overview_page(qtbot, window)
    expected = signed.overview()  # the same service, called directly
    assert expected.pupil_count > 0
    assert page.pupil_count_label.text() == f"{format_count(expected.pupil_count)} 人"
    assert page.overview is not None and page.overview.datasets == expected.datasets
    # The size grows a little with every audit entry: the label shows what the page loaded.
    assert page.store_size_label.text() == format_bytes(page.overview.store_size_bytes)

    model = page.model
    assert set(expected.school_years) <= set(model.years)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    shown = model.shown_years
    assert len(shown) == min(5, len(model.years))  # recent years get a column each
    assert headers[0] == "データの種類" and headers[-2:] == ["合計", "最新の日付"]
    assert headers[-2 - len(shown) : -2] == [format_school_year(y, "wareki") for y in shown]
    assert headers[-3].startswith("令和") and headers[-3].endswith("年度")
    older = [y for y in model.years if y < shown[0]]
    assert ("それ以前" in headers) == bool(older)

    assert model.rowCount() == len(expected.datasets) + 1
    for row, ds in enumerate(expected.datasets):
        assert model.index(row, 0).data() == ds.label
        assert model.index(row, len(headers) - 2).data() == format_count(ds.total)
        for year in shown:
            col = headers.index(format_school_year(year, "wareki"))
            count = ds.counts_by_year.get(year)
            shown_text = model.index(row, col).data()
            assert shown_text == (format_count(count) if count is not None else "—")
        if older:
            before = sum(n for y, n in ds.counts_by_year.items() if y < shown[0])
            cell = model.index(row, headers.index("それ以前")).data()
            assert cell == (format_count(before) if before else "—")
    total_row = len(expected.datasets)
    assert model.index(total_row, 0).data() == "合計"
    assert model.index(total_row, len(headers) - 2).data() == format_count(
        sum(d.total for d in expected.datasets)
    )

    # All years on request: one column per year, nothing summed.
    page.years_combo.setCurrentIndex(1)
    assert model.shown_years == model.years
    assert "それ以前" not in [
        model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())
    ]
    page.years_combo.setCurrentIndex(0)
    window.grab().save(str(screenshot_dir / "main_overview.png"))


@pytest.mark.parametrize(("width", "height"), [(1200, 780), (1024, 700)])
def test_overview_parts_never_overlap(
    qtbot: QtBot, shell: Shell, screenshot_dir: Path, width: int, height: int
) -> None:
    shell.show_login()
    window = _sign_in(qtbot, shell)
    window.resize(width, height)
    page = _overview_page(qtbot, window)
    # Right after the data arrived (no event processed yet) the layout is already right.
    table = page.table.geometry()
    assert table.height() >= page.table.horizontalHeader().height() + (
        page.table.verticalHeader().length()
    )
    page.show_chart_tab()  # the chart has a tab of its own (it made the page scroll at 697)
    qtbot.wait(50)
    assert page.chart.isVisible() and page.chart.height() >= 260
    axis = page.chart.plot.getAxis("bottom")
    assert axis.height() >= page.chart.fontMetrics().height() + 8  # room for the year labels
    window.grab().save(str(screenshot_dir / f"main_overview_{width}x{height}.png"))


def test_sorting_keeps_totals_row_last(qtbot: QtBot, shell: Shell) -> None:
    shell.show_login()
    page = _overview_page(qtbot, _sign_in(qtbot, shell))
    proxy = page.proxy
    total_col = page.model.columnCount() - 2
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        page.table.sortByColumn(total_col, order)
        last = proxy.rowCount() - 1
        assert proxy.index(last, 0).data() == "合計"
        values = [int(proxy.index(r, total_col).data().replace(",", "")) for r in range(last)]
        assert values == sorted(values, reverse=order == Qt.SortOrder.DescendingOrder)


def test_integrity_check_runs_in_background_and_updates(
    qtbot: QtBot, shell: Shell, screenshot_dir: Path
) -> None:
    shell.show_login()
    page = _overview_page(qtbot, _sign_in(qtbot, shell))
    assert page.integrity_label.text() == "未検査"
    qtbot.mouseClick(page.integrity_button, Qt.MouseButton.LeftButton)
    # The click returns at once: the check runs on the worker thread.
    op = page.integrity_op
    assert op is not None and op.running
    assert not page.integrity_button.isEnabled() and page.integrity_cancel_button.isVisible()
    with qtbot.waitSignal(op.finished, timeout=60000):
        pass
    assert page.integrity_label.text() == "正常"
    assert "に検査" in page.integrity_detail.text()
    assert page.integrity_button.isEnabled() and not page.integrity_cancel_button.isVisible()
    page.grab().save(str(screenshot_dir / "overview_integrity.png"))

    # The result was stored by the service: a reload shows it too.
    page.reload()
    qtbot.waitUntil(lambda: page.refresh_button.isEnabled(), timeout=20000)
    assert page.overview is not None and page.overview.integrity.ok is True


def test_integrity_check_can_be_cancelled(qtbot: QtBot, shell: Shell) -> None:
    shell.show_login()
    page = _overview_page(qtbot, _sign_in(qtbot, shell))
    page.start_integrity_check()
    op = page.integrity_op
    assert op is not None
    with qtbot.waitSignal(op.finished, timeout=60000):
        qtbot.mouseClick(page.integrity_cancel_button, Qt.MouseButton.LeftButton)
    # A tiny store may finish before the cancel is seen; either way the page is usable again.
    assert page.integrity_label.text() in ("正常", "検査中")
    if page.integrity_label.text() == "検査中":
        assert page.integrity_detail.text() == "検査を中止しました。"
    assert page.integrity_button.isEnabled()


def test_sign_out_returns_to_login(qtbot: QtBot, shell: Shell) -> None:
    shell.show_login()
    window = _sign_in(qtbot, shell)
    _overview_page(qtbot, window)
    with qtbot.waitSignal(shell.signed_out, timeout=20000):
        window.sign_out_action.trigger()
    assert shell.main_window is None and shell.signed is None
    assert isinstance(shell.login_window, LoginWindow) and shell.login_window.isVisible()


def test_closing_the_main_window_signs_out_and_quits(
    qtbot: QtBot, app_ctx: Application, runner: BackgroundRunner
) -> None:
    quits: list[bool] = []
    shell = Shell(app_ctx, runner, "seireki", on_quit=lambda: quits.append(True))
    try:
        shell.show_login()
        window = _sign_in(qtbot, shell)
        page = _overview_page(qtbot, window)
        assert page.model.headerData(2, Qt.Orientation.Horizontal).endswith("年度")
        assert page.model.headerData(2, Qt.Orientation.Horizontal)[0].isdigit()  # 西暦
        signed = shell.signed
        assert signed is not None
        window.close()  # the title bar's ×
        qtbot.waitUntil(lambda: quits == [True], timeout=20000)
        assert signed.store.closed
        assert not window.isVisible()
    finally:
        shell.shutdown()
