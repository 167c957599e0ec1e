"""アカウント管理's list of accounts waiting for data keys (issue 12), on a real demo store."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from storage.store import Store
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, click, sign_in
from toda_desktop.store_setup import DEMO_PASSWORD
from ui.accounts.own_password import OwnPasswordDialog
from ui.accounts.page import AccountsPage
from ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _page(qtbot: QtBot, window: MainWindow) -> AccountsPage:
    page = window.show_page("アカウント管理")
    assert isinstance(page, AccountsPage)
    qtbot.waitUntil(lambda: page.loaded and not page.loading, timeout=WAIT_MS)
    return page


def _row_text(page: AccountsPage, row: int) -> str:
    table = page.pending.table
    return " ".join(table.item(row, c).text() for c in range(table.columnCount()))


def test_the_lead_sees_who_waits_for_keys_and_gives_them(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, screenshot_dir: Path
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-it")
    page = _page(qtbot, window)
    assert page.pending.isHidden()  # nothing waits in a fresh demo store
    page.select("demo-liaison")
    dialog = page.open_role_change()
    assert dialog is not None
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("bullying_support"))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: page.pending.table.rowCount() == 1, timeout=WAIT_MS)
    line = _row_text(page, 0)
    assert "demo-liaison" in line and "いじめ" in line
    assert "鍵を持つ職員による付与待ち" in line  # the IT administrator holds no key
    page.pending.table.selectRow(0)
    assert not page.pending.grant_button.isEnabled()
    assert "他部局" in page.pending.rotation_label.text()
    assert not page.pending.rotate_button.isEnabled()  # only a holder renews a key
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):
        window.sign_out_action.trigger()

    window = sign_in(qtbot, shell, "demo-lead")
    page = _page(qtbot, window)
    assert page.pending.isVisibleTo(page)
    assert "鍵の付与待ち" in _row_text(page, 0)
    page.pending.table.selectRow(0)
    assert page.pending.grant_button.isEnabled()
    window.grab().save(str(screenshot_dir / "accounts_pending_keys.png"))
    click(qtbot, page.pending.grant_button)
    box = page.confirmation
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: page.pending.table.rowCount() == 0, timeout=WAIT_MS)
    assert page.pending.rotate_button.isVisible()
    click(qtbot, page.pending.rotate_button)
    qtbot.waitUntil(lambda: page.pending.isHidden(), timeout=WAIT_MS)
    with Store.open(demo_store_path, "demo-liaison", DEMO_PASSWORD) as store:
        assert any(g.startswith("bullying") for g in store.keys.groups)


def test_every_user_changes_their_own_password_from_the_file_menu(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, screenshot_dir: Path
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-truancy")
    window.password_action.trigger()
    dialog = window.findChild(OwnPasswordDialog)
    assert isinstance(dialog, OwnPasswordDialog) and dialog.isVisible()
    dialog.current_edit.setText("not my password")
    dialog.password_edit.setText("my own new phrase 2026")
    dialog.confirm_edit.setText("my own new phrase 2026")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "現在のパスワード" in dialog.error_label.text(), timeout=WAIT_MS)
    dialog.grab().save(str(screenshot_dir / "own_password_dialog.png"))
    dialog.current_edit.setText(DEMO_PASSWORD)
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: dialog.changed, timeout=WAIT_MS)
    with Store.open(demo_store_path, "demo-truancy", "my own new phrase 2026") as store:
        assert store.keys.groups  # the data keys stayed
