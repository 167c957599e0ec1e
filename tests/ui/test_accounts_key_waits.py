"""アカウント管理 says why an account waits for keys and who can renew a key (QA at 1366×768).

Real demo store, real services, offscreen Qt; each step is shot to the screenshot folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, click, sign_in
from ui.accounts.dialogs import NewAccountDialog, RoleDialog
from ui.accounts.page import AccountsPage
from ui.accounts.pending import KEYS_COLUMN
from ui.main_window import MainWindow

pytestmark = pytest.mark.gui

STATE_COLUMN = 2


def _page(qtbot: QtBot, window: MainWindow) -> AccountsPage:
    window.resize(1366, 768)
    page = window.show_page("アカウント管理")
    assert isinstance(page, AccountsPage)
    qtbot.waitUntil(lambda: page.loaded and not page.loading, timeout=WAIT_MS)
    return page


def _create_new_staff(qtbot: QtBot, page: AccountsPage) -> NewAccountDialog:
    dialog = page.open_new_account()
    dialog.login_edit.setText("new-staff")
    dialog.name_edit.setText("新任 職員")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("project_lead"))
    dialog.password_edit.setText("a fine new password")
    dialog.confirm_edit.setText("a fine new password")
    return dialog


def _row_of(page: AccountsPage, login: str) -> int:
    return next(i for i, p in enumerate(page.pending._pending) if p.login_id == login)


def test_the_it_admin_is_told_what_waits_and_cannot_renew_keys_it_does_not_hold(
    qtbot: QtBot, make_shell: ShellFactory, screenshot_dir: Path
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-it")
    page = _page(qtbot, window)
    dialog = _create_new_staff(qtbot, page)
    assert dialog.intro_label is not None
    assert "パスワードを変更してから" in dialog.intro_label.text()
    dialog.grab().save(str(screenshot_dir / "accounts_new_account_dialog.png"))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: page.pending.table.rowCount() == 1, timeout=WAIT_MS)
    status = page.status_label.text()
    assert "new-staff" in status and "パスワードの変更" in status

    page.select("demo-liaison")
    role_dialog = page.open_role_change()
    assert isinstance(role_dialog, RoleDialog) and role_dialog.intro_label is not None
    intro = role_dialog.intro_label.text()
    assert "変更と同時に外れます" in intro and "渡すまで使えません" in intro
    assert "次回のサインインから適用されます" not in intro
    role_dialog.grab().save(str(screenshot_dir / "accounts_role_dialog.png"))
    role_dialog.role_combo.setCurrentIndex(role_dialog.role_combo.findData("bullying_support"))
    click(qtbot, role_dialog.ok_button)
    qtbot.waitUntil(lambda: page.pending.table.rowCount() == 2, timeout=WAIT_MS)

    table = page.pending.table
    row = _row_of(page, "new-staff")
    assert table.item(row, STATE_COLUMN).text() == "本人のパスワード変更待ち"
    keys = table.item(row, KEYS_COLUMN).text()
    assert "保健室利用" in keys and "学校健診" in keys and "関連" not in keys
    table.selectRow(row)
    assert not page.pending.grant_button.isEnabled()
    assert page.pending.reason_label.isVisible()
    assert "パスワードを変更すると" in page.pending.reason_label.text()
    # The line fits: no sideways scrolling, the keys column ends inside the table.
    assert table.horizontalScrollBar().maximum() == 0
    header = table.horizontalHeader()
    assert header.sectionPosition(KEYS_COLUMN) + header.sectionSize(KEYS_COLUMN) \
        <= table.viewport().width()
    one_line = table.rowHeight(row)
    window.resize(1100, 768)  # narrower: the keys wrap instead of running off the edge
    qtbot.waitUntil(lambda: table.rowHeight(row) > one_line, timeout=WAIT_MS)
    assert table.horizontalScrollBar().maximum() == 0
    window.grab().save(str(screenshot_dir / "accounts_it_admin_waits_narrow.png"))
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: table.rowHeight(row) == one_line, timeout=WAIT_MS)

    assert not page.pending.rotate_button.isEnabled()
    assert "事業全体総括職員）だけが更新できます" in page.pending.rotation_label.text()
    window.grab().save(str(screenshot_dir / "accounts_it_admin_waits.png"))


def test_the_lead_renews_the_keys_due_and_is_told_which(
    qtbot: QtBot, make_shell: ShellFactory, screenshot_dir: Path
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-it")
    page = _page(qtbot, window)
    page.select("demo-liaison")
    role_dialog = page.open_role_change()
    assert role_dialog is not None
    role_dialog.role_combo.setCurrentIndex(role_dialog.role_combo.findData("bullying_support"))
    click(qtbot, role_dialog.ok_button)
    qtbot.waitUntil(lambda: page.pending.table.rowCount() == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):
        window.sign_out_action.trigger()

    window = sign_in(qtbot, shell, "demo-lead")
    page = _page(qtbot, window)
    page.pending.table.selectRow(0)
    assert page.pending.grant_button.isEnabled()
    assert not page.pending.reason_label.isVisible()
    assert page.pending.rotate_button.isEnabled()
    assert "だけが更新できます" not in page.pending.rotation_label.text()
    window.grab().save(str(screenshot_dir / "accounts_lead_waits.png"))
    click(qtbot, page.pending.rotate_button)
    qtbot.waitUntil(lambda: "更新しました" in page.status_label.text(), timeout=WAIT_MS)
    assert page.status_label.text() == "データの鍵を更新しました: 他部局。"
