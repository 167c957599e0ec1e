"""データの鍵の更新 (issue 13) and the own password change with the palm, on real demo stores
through the whole window: the scanner is the scripted simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from devices import Simulator
from storage.keys import KeyFile
from storage.store import Store
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, click, sign_in
from toda_desktop.store_setup import DEMO_PASSWORD
from ui.accounts.key_rotation import KeyRotationDialog
from ui.accounts.own_password import OwnPasswordDialog
from ui.accounts.page import AccountsPage
from ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _open_dialog(qtbot: QtBot, window: MainWindow) -> KeyRotationDialog:
    page = window.show_page("アカウント管理")
    assert isinstance(page, AccountsPage)
    button = next(b for b in page.findChildren(QPushButton) if b.text() == "データの鍵の更新…")
    click(qtbot, button)
    dialog = page.findChild(KeyRotationDialog)
    assert isinstance(dialog, KeyRotationDialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0 or dialog.none_label.isVisible(),
                    timeout=WAIT_MS)
    return dialog


def test_the_lead_renews_the_bullying_key_for_a_suspected_leak(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, screenshot_dir: Path
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    dialog = _open_dialog(qtbot, window)
    window.grab().save(str(screenshot_dir / "accounts_with_key_renewal.png"))
    labels = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert "いじめ" in labels
    assert not dialog.rotate_button.isEnabled()  # nothing chosen yet
    assert dialog.reason_combo.currentText() == "漏えいの疑い"
    dialog.set_checked("bullying")
    assert dialog.rotate_button.isEnabled()
    dialog.grab().save(str(screenshot_dir / "key_rotation_dialog.png"))
    click(qtbot, dialog.rotate_button)
    box = dialog.confirmation
    assert box is not None and "いじめ" in box.text() and "漏えいの疑い" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: bool(dialog.renewed), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: dialog.op is None, timeout=WAIT_MS)
    assert "データの鍵を更新しました: いじめ" in dialog.status_label.text()
    assert "もう一度サインイン" in dialog.status_label.text()
    qtbot.waitUntil(lambda: any(dialog.table.item(r, 2).text() == "第2世代"
                                for r in range(dialog.table.rowCount())), timeout=WAIT_MS)
    dialog.grab().save(str(screenshot_dir / "key_rotation_done.png"))
    assert KeyFile.load(demo_store_path).generations["bullying"] == 2
    with Store.open(demo_store_path, "demo-bullying", DEMO_PASSWORD) as store:
        assert "bullying" in store.keys.groups  # the other holder has the new key


def test_the_it_administrator_holds_no_key_and_is_told_whom_to_ask(
    qtbot: QtBot, make_shell: ShellFactory, screenshot_dir: Path
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-it")
    dialog = _open_dialog(qtbot, window)
    assert dialog.none_label.isVisible() and not dialog.table.isVisible()
    assert "依頼してください" in dialog.none_label.text()
    assert not dialog.rotate_button.isEnabled()
    dialog.grab().save(str(screenshot_dir / "key_rotation_none_held.png"))


def test_the_password_dialog_reads_the_palm_and_refuses_someone_elses(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, sim: Simulator,
    screenshot_dir: Path,
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-truancy")
    window.password_action.trigger()
    dialog = window.findChild(OwnPasswordDialog)
    assert isinstance(dialog, OwnPasswordDialog)
    assert "手のひら" in dialog.palm_view.prompt_label.text()
    dialog.grab().save(str(screenshot_dir / "own_password_palm_idle.png"))
    dialog.current_edit.setText(DEMO_PASSWORD)
    dialog.password_edit.setText("my own new phrase 2026")
    dialog.confirm_edit.setText("my own new phrase 2026")
    sim.push("SCAN demo-bullying")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "手のひら静脈を確認できませんでした" in dialog.error_label.text(),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: dialog.op is None, timeout=WAIT_MS)
    assert dialog.ok_button.isEnabled() and dialog.current_edit.isEnabled()
    dialog.grab().save(str(screenshot_dir / "own_password_palm_refused.png"))
    with Store.open(demo_store_path, "demo-truancy", DEMO_PASSWORD):
        pass  # unchanged
    click(qtbot, dialog.ok_button)  # the right palm (the simulator's default) this time
    qtbot.waitUntil(lambda: dialog.changed, timeout=WAIT_MS)
    with Store.open(demo_store_path, "demo-truancy", "my own new phrase 2026") as store:
        assert store.keys.groups


def test_stopping_the_palm_reading_keeps_the_dialog_and_the_password(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, slow_sim: Simulator,
) -> None:
    window = sign_in(qtbot, make_shell(scanner=slow_sim), "demo-truancy")
    window.password_action.trigger()
    dialog = window.findChild(OwnPasswordDialog)
    assert isinstance(dialog, OwnPasswordDialog)
    dialog.current_edit.setText(DEMO_PASSWORD)
    dialog.password_edit.setText("my own new phrase 2026")
    dialog.confirm_edit.setText("my own new phrase 2026")
    slow_sim.push("STALL")  # nobody puts a hand on the scanner
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: dialog.op is not None and dialog.cancel_button.text() == "中止",
                    timeout=WAIT_MS)
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: dialog.op is None, timeout=WAIT_MS)
    assert dialog.isVisible() and not dialog.changed
    assert dialog.ok_button.isEnabled() and dialog.cancel_button.text() == "キャンセル"
    with Store.open(demo_store_path, "demo-truancy", DEMO_PASSWORD) as store:  # unchanged
        logged = store.db.call(lambda c: c.execute(
            "SELECT outcome FROM audit_log WHERE action = 'password_changed'").fetchall())
    assert logged == [("cancelled",)]  # a stop is not a failure (nothing counted)
