"""Issue 13's screens as an office worker sees them (QA): the research dialog fits a laptop's
maximised window, and the terse buttons that approve, run or renew say what they do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from tests.search.helpers import sign_in as sign_in_service
from tests.ui.conftest import ShellFactory, WallClock
from tests.ui.flows import WAIT_MS, click, sign_in
from toda_desktop.backup.service import LAST_KEY
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD
from ui.accounts.key_rotation import KeyRotationDialog
from ui.backup.dialog import BackupDialog
from ui.export_purpose.page import ExportApprovalsPage
from ui.research.dialog import TITLE as RESEARCH_TITLE
from ui.research.dialog import ResearchDialog, open_research_dialog
from ui.retention.page import RetentionPage
from ui.shell import Shell

pytestmark = pytest.mark.gui

# A maximised window on a 1366×768 laptop with a taskbar has 697 pixels; a dialog's title bar
# takes about 30 of them.
LAPTOP_HEIGHT = 697
TITLE_BAR = 30


def test_the_research_dialog_and_its_buttons_fit_a_697_pixel_high_window(
    qtbot: QtBot, shell: Shell,
) -> None:
    window = sign_in(qtbot, shell, "demo-lead")
    window.resize(1366, LAPTOP_HEIGHT)
    assert shell.signed is not None
    dialog = open_research_dialog(window, shell.signed.research, shell._runner)
    qtbot.waitUntil(lambda: dialog.loaded and not dialog.load_task.running, timeout=WAIT_MS)
    form = dialog.new_project()
    form.name_edit.setText("不登校研究")
    form.purpose_edit.setPlainText("大学との共同研究（研究計画書 第3版）")
    click(qtbot, form.ok_button)
    qtbot.waitUntil(lambda: dialog.project_combo.currentText() == "不登校研究",
                    timeout=WAIT_MS)
    dialog.purpose_edit.setText("2026年度の分析")
    dialog.tree.check_kind("出欠状況（月次）")
    click(qtbot, dialog.check_button)
    qtbot.waitUntil(lambda: dialog.prepared is not None, timeout=WAIT_MS)
    qtbot.wait(50)  # the summary card is laid out
    dialog.grab().save("/tmp/toda-ui-screenshots/research_dialog_697.png")
    assert dialog.height() + TITLE_BAR <= LAPTOP_HEIGHT
    for button in (dialog.check_button, dialog.write_button, dialog.close_button):
        bottom = button.mapTo(dialog, button.rect().bottomLeft()).y()
        assert button.isVisible() and bottom <= dialog.height(), button.text()
    assert dialog.summary.isVisible() and dialog.tree.height() >= 150


def test_the_check_button_names_the_extract_as_processed_not_anonymised(
    qtbot: QtBot, shell: Shell,
) -> None:
    """A research extract is 仮名加工情報 (still personal data): no control may call it
    匿名化, which reads as 匿名加工情報, a different legal category."""
    sign_in(qtbot, shell, "demo-analyst")
    assert shell.signed is not None and shell.main_window is not None
    dialog = open_research_dialog(shell.main_window, shell.signed.research, shell._runner)
    assert isinstance(dialog, ResearchDialog)
    texts = [b.text() for b in dialog.findChildren(QPushButton)]
    assert texts and not any("匿名化" in t for t in texts)
    assert "匿名化" not in dialog.summary.accessibleName()


def test_approve_run_and_renew_buttons_say_what_they_do(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    retention = window.show_page("保存期間の管理")
    assert isinstance(retention, RetentionPage)
    approvals = window.show_page("出力の承認")
    assert isinstance(approvals, ExportApprovalsPage)
    accounts = window.show_page("アカウント管理")
    renew = next(b for b in accounts.findChildren(QPushButton)
                 if b.text() == "データの鍵の更新…")
    click(qtbot, renew)
    rotation = accounts.findChild(KeyRotationDialog)
    assert isinstance(rotation, KeyRotationDialog)
    for button in (retention.plan_button, retention.approve_button, retention.run_button,
                   approvals.approve_button, approvals.decline_button, approvals.add_button,
                   rotation.rotate_button):
        assert button.toolTip().strip(), button.text()
    rotation.reject()


def test_counts_on_the_approvals_page_line_up_on_the_right(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, screenshot_dir: Path,
) -> None:
    analyst = sign_in_service(demo_store_path, DEMO_LOGINS["data_analyst"][0], DEMO_PASSWORD)
    try:
        analyst.export_purposes.request_dataset("attendance_monthly", Purpose("ケース会議の資料"))
    finally:
        analyst.sign_out()
    window = sign_in(qtbot, make_shell(), "demo-lead")
    window.resize(1366, LAPTOP_HEIGHT)
    page = window.show_page("出力の承認")
    assert isinstance(page, ExportApprovalsPage)
    qtbot.waitUntil(lambda: page.pending_model.rowCount() == 1, timeout=WAIT_MS)
    window.grab().save(str(screenshot_dir / "export_approvals_697.png"))
    model = page.pending_model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    for column in (headers.index("番号"), headers.index("人数")):
        align = model.index(0, column).data(Qt.ItemDataRole.TextAlignmentRole)
        assert align is not None and int(align) & int(Qt.AlignmentFlag.AlignRight), headers[column]
    assert model.index(0, headers.index("目的")).data(Qt.ItemDataRole.TextAlignmentRole) is None


def test_the_research_years_and_the_last_backup_follow_the_wareki_setting(
    qtbot: QtBot, make_shell: ShellFactory, wall_clock: WallClock,
) -> None:
    shell = make_shell()  # the user's setting: 和暦
    window = sign_in(qtbot, shell, "demo-lead")
    signed = shell.signed
    assert signed is not None
    research = next(a for m in window.menuBar().actions() if m.menu()
                    for a in m.menu().actions() if a.text() == f"{RESEARCH_TITLE}…")
    research.trigger()
    dialog = window.findChild(ResearchDialog)
    assert isinstance(dialog, ResearchDialog)
    qtbot.waitUntil(lambda: dialog.loaded and not dialog.load_task.running, timeout=WAIT_MS)
    years = [box.text() for _, box in dialog.years.boxes]
    assert years and all(y.startswith("令和") and y.endswith("年度") for y in years), years
    dialog.reject()

    last = wall_clock() - timedelta(days=2)
    signed.store.db.call(lambda c: c.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        (LAST_KEY, last.isoformat(timespec="seconds"))))
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: bool(window.findChildren(BackupDialog)), timeout=WAIT_MS)
    backup = window.findChildren(BackupDialog)[0]
    assert backup.last_label.text().startswith("令和8年"), backup.last_label.text()
    backup.reject()
