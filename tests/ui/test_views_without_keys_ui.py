"""What the window shows when the account lacks data keys (QA after issue 12): the IT
administrator's データ概要 opens without an error box, a role waiting for a key reads the line
saying what is left out and whom to ask, 監査ログ's count follows its own 改ざん検査, and the
overwrite question keeps each file name on one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from storage.group_files import file_groups
from storage.registry import default_registry
from tests.risk.conftest import sign_in as sign_in_service
from tests.storage.test_key_files_insider import _reopen_with
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, click, sign_in
from toda_desktop.search.service import SearchFilters
from ui.audit.page import AuditPage
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.export_flow import confirm_overwrite
from ui.overview.page import NO_PUPIL_COUNT_TEXT, OverviewPage
from ui.search.page import SearchPage

pytestmark = pytest.mark.gui

NOTE = ("鍵をお持ちでない領域（いじめ等の記録）は含まれていません。"
        "鍵の付与は事業全体総括職員にご依頼ください。")


def test_the_it_administrators_overview_opens_without_an_error_box(
    qtbot: QtBot, make_shell: ShellFactory, reporter: ErrorReporter
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-it")
    page = window.pages.currentWidget()
    assert isinstance(page, OverviewPage)
    qtbot.waitUntil(lambda: page.overview is not None, timeout=WAIT_MS)
    page.show_storage_tab()  # the storage facts are on the second tab (issue 16)
    assert not reporter.report_count
    assert page.status_label.text() == ""
    assert page.pupil_count_label.text() == "—"
    assert page.pupil_count_detail.isVisible()
    assert page.pupil_count_detail.text() == NO_PUPIL_COUNT_TEXT
    assert page.no_counts_label.isVisible() and not page.table.isVisible()
    assert page.store_size_label.text() != "—"
    assert not page.withheld_label.isVisible()


def test_the_overview_and_search_say_which_key_is_missing_and_whom_to_ask(
    qtbot: QtBot, demo_store_path: Path, runner: BackgroundRunner
) -> None:
    groups = tuple(g.name for g in file_groups(default_registry()) if g.name != "bullying")
    signed, _ = _reopen_with(sign_in_service(demo_store_path, "director"), groups)
    try:
        overview = OverviewPage(signed.overview, signed.check_integrity, runner, "wareki")
        qtbot.addWidget(overview)
        overview.show()
        overview.reload()
        qtbot.waitUntil(lambda: overview.overview is not None, timeout=WAIT_MS)
        assert overview.withheld_label.isVisible() and overview.withheld_label.text() == NOTE
        assert overview.pupil_count_label.text().endswith("人")
        assert not overview.pupil_count_detail.isVisible()

        search = SearchPage(signed.search, runner, "wareki")
        qtbot.addWidget(search)
        search.show()
        assert not search.withheld_label.isVisible()  # said with the results
        school = signed.search.filter_options().schools[0].code
        with qtbot.waitSignal(search.searched, timeout=WAIT_MS):
            search._start(("", SearchFilters(school_code=school)))
        assert search.withheld_label.isVisible() and search.withheld_label.text() == NOTE
    finally:
        runner.shutdown()
        signed.sign_out()


def test_the_audit_count_includes_the_check_just_made(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    page = window.show_page("監査ログ")
    assert isinstance(page, AuditPage)
    qtbot.waitUntil(lambda: page.loaded and not page.loading, timeout=WAIT_MS)
    before = page.model.rowCount()
    click(qtbot, page.verify_button)
    qtbot.waitUntil(lambda: page.last_check is not None and not page.loading
                    and page.model.rowCount() > before, timeout=WAIT_MS)
    rows = page.model.rowCount()
    assert page.count_label.text() == f"{rows}件"
    assert any(page.model.index(r, 3).data() == "監査ログの検証" for r in range(rows))


def test_the_overwrite_question_keeps_each_line_whole(
    qtbot: QtBot, app_font: QFont, tmp_path: Path
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    taken = [tmp_path / f"0310{n}_けやき小学校_2026-04_見守りアラート.csv" for n in range(3)]
    for path in taken:
        path.write_bytes(b"old")
    box = confirm_overwrite(parent, taken, lambda _overwrite: None)
    assert isinstance(box, QMessageBox)
    label = box.findChild(QLabel, "qt_msgbox_label")
    assert label is not None
    metrics = label.fontMetrics()
    widest = max(metrics.horizontalAdvance(line) for line in box.text().splitlines())
    qtbot.waitExposed(box)
    assert label.width() >= widest
    box.button(QMessageBox.StandardButton.No).click()
