"""The purpose is asked before the file chooser; above the lead's number of pupils the dialog
files a request instead; the lead approves on 管理 → 出力の承認 (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.search.helpers import sign_in as sign_in_service
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, click, sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.export_purpose import catalog
from toda_desktop.export_purpose.model import OTHER, Purpose
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD
from ui.export_purpose.dialog import REQUEST_TEXT, PurposeDialog
from ui.export_purpose.page import TITLE, ExportApprovalsPage
from ui.search.page import SearchPage

pytestmark = pytest.mark.gui


def _searched(qtbot: QtBot, make_shell: ShellFactory) -> SearchPage:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    page = window.show_page("児童生徒検索")
    assert isinstance(page, SearchPage)
    page.query_edit.setText("山")
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        page.search_now()
    return page


def _dialog(qtbot: QtBot, page: SearchPage) -> PurposeDialog:
    qtbot.waitUntil(lambda: page.findChild(PurposeDialog) is not None, timeout=WAIT_MS)
    dialog = page.findChild(PurposeDialog)
    assert isinstance(dialog, PurposeDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def test_the_purpose_comes_before_the_file_chooser_and_into_the_audit_entry(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, tmp_path: Path,
    screenshot_dir: Path,
) -> None:
    page = _searched(qtbot, make_shell)
    asked: list[str] = []
    target = tmp_path / "検索結果.csv"

    def choose(_suffix: str) -> Path:
        asked.append("path")
        return target

    page.choose_export_path = choose  # type: ignore[method-assign]
    page.export()
    dialog = _dialog(qtbot, page)
    assert asked == []  # the purpose first
    assert dialog.choice.itemText(dialog.choice.count() - 1).startswith(OTHER)
    dialog.grab().save(str(screenshot_dir / "export_purpose_dialog.png"))
    dialog.choice.setCurrentIndex(dialog.choice.count() - 1)  # その他 without words
    click(qtbot, dialog.ok_button)
    assert dialog.isVisible() and "具体的な目的" in dialog.error_label.text()
    dialog.note.setText("県からの照会への回答")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=WAIT_MS)
    assert asked == ["path"] and target.exists()
    lead = sign_in_service(demo_store_path, DEMO_LOGINS["project_lead"][0], DEMO_PASSWORD)
    try:
        details = [e.detail_text for e in lead.audit_view.entries(AuditFilter(action="export"))
                   if target.name in e.detail_text]
    finally:
        lead.sign_out()
    assert details and all("目的: その他：県からの照会への回答" in t for t in details)


def test_cancelling_the_purpose_asks_no_path_and_writes_nothing(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path
) -> None:
    page = _searched(qtbot, make_shell)
    asked: list[str] = []
    out = tmp_path / "out"
    out.mkdir()
    page.choose_export_path = lambda _s: asked.append("path") or out / "x.csv"  # type: ignore
    page.export()
    click(qtbot, _dialog(qtbot, page).cancel_button)
    assert asked == [] and page.last_export is None and list(out.iterdir()) == []


def test_above_the_threshold_the_dialog_files_a_request_instead(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, tmp_path: Path,
    screenshot_dir: Path,
) -> None:
    lead = sign_in_service(demo_store_path, DEMO_LOGINS["project_lead"][0], DEMO_PASSWORD)
    try:
        lead.export_purposes.set_threshold(1)
    finally:
        lead.sign_out()
    page = _searched(qtbot, make_shell)
    asked: list[str] = []
    out = tmp_path / "out"
    out.mkdir()
    page.choose_export_path = lambda _s: asked.append("path") or out / "x.csv"  # type: ignore
    page.export()
    dialog = _dialog(qtbot, page)
    assert dialog.requesting and dialog.ok_button.text() == REQUEST_TEXT
    dialog.grab().save(str(screenshot_dir / "export_purpose_request.png"))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "承認を依頼しました" in page.note_label.text(), timeout=WAIT_MS)
    assert asked == [] and list(out.iterdir()) == []
    lead = sign_in_service(demo_store_path, DEMO_LOGINS["project_lead"][0], DEMO_PASSWORD)
    try:
        pending = lead.export_purposes.pending()
    finally:
        lead.sign_out()
    assert [(r.export, r.purpose) for r in pending] == [
        (catalog.SEARCH_RESULTS.key, "ケース会議の資料")]


def test_the_lead_approves_a_request_on_the_approvals_page(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, screenshot_dir: Path
) -> None:
    analyst = sign_in_service(demo_store_path, DEMO_LOGINS["data_analyst"][0], DEMO_PASSWORD)
    try:
        request = analyst.export_purposes.request_dataset(
            "attendance_monthly", Purpose("関係機関との連携（要保護児童対策地域協議会）"))
    finally:
        analyst.sign_out()
    window = sign_in(qtbot, make_shell(), "demo-lead")
    qtbot.waitUntil(lambda: window.badge(TITLE) == "1", timeout=WAIT_MS)  # before opening
    page = window.show_page(TITLE)
    assert isinstance(page, ExportApprovalsPage)
    qtbot.waitUntil(lambda: page.pending_model.rowCount() == 1, timeout=WAIT_MS)
    page.resize(1200, 760)
    page.pending_table.selectRow(0)
    page.grab().save(str(screenshot_dir / "export_approvals_page.png"))
    # Staff know each other by name: the requester by display name, the login ID beside it.
    assert page.pending_model.cells(page.pending_model.line(0))[2] == "デモ 分析（demo-analyst）"
    click(qtbot, page.approve_button)
    assert page.dialog is not None
    assert page.dialog.intro_label is not None
    assert "依頼者 デモ 分析（demo-analyst）" in page.dialog.intro_label.text()
    click(qtbot, page.dialog.ok_button)
    qtbot.waitUntil(lambda: page.pending_model.rowCount() == 0
                    and page.decided_model.rowCount() == 1, timeout=WAIT_MS)
    assert window.badge(TITLE) is None
    decided = page.decided_model.line(0)
    assert decided.id == request and decided.status == "approved"
    assert decided.decided_by == DEMO_LOGINS["project_lead"][0]
    assert page.decided_model.cells(decided)[3:5] == ["デモ 総括（demo-lead）",
                                                      "デモ 分析（demo-analyst）"]
    page.grab().save(str(screenshot_dir / "export_approvals_decided.png"))
    # The list: a new purpose, and one taken off after a question.
    page.new_purpose.setText("就学相談の資料")
    click(qtbot, page.add_button)
    qtbot.waitUntil(lambda: page.purpose_list.count() == 5, timeout=WAIT_MS)
    page.purpose_list.setCurrentRow(0)
    click(qtbot, page.remove_button)
    assert isinstance(page.confirmation, QMessageBox)
    page.confirmation.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: page.purpose_list.count() == 4, timeout=WAIT_MS)
    assert page.purpose_list.item(3).text() == "就学相談の資料"
