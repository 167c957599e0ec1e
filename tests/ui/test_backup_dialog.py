"""バックアップを作成…: shown to administrators holding every key, offered at sign-out when
the last one is old, with progress in the dialog (issue 13)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory, WallClock
from tests.ui.flows import WAIT_MS, click, sign_in
from toda_desktop.backup.service import LAST_KEY, OFFER_QUESTION
from ui.backup.dialog import BackupDialog


def _dialog(window: object) -> BackupDialog:
    found = [d for d in window.findChildren(BackupDialog) if d.isVisible()]  # type: ignore[attr-defined]
    assert len(found) == 1
    return found[0]


def test_the_lead_makes_a_backup_from_the_menu_and_the_it_admin_sees_no_item(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, screenshot_dir: Path
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    assert window.backup_action.isVisible()
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: bool(window.findChildren(BackupDialog)), timeout=WAIT_MS)
    dialog = _dialog(window)
    assert "まだ作成していません" in " ".join(
        w.text() for w in dialog.findChildren(type(dialog.status_label)))
    destination = tmp_path / "バックアップ"
    dialog.folder_edit.setText(str(destination))
    dialog.keep_spin.setValue(5)
    dialog.offer_spin.setValue(3)
    dialog.grab().save(str(screenshot_dir / "backup-dialog.png"))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: dialog.result_done is not None, timeout=WAIT_MS)
    assert "検証しました" in dialog.status_label.text()
    dialog.grab().save(str(screenshot_dir / "backup-dialog-done.png"))
    assert [p.name.startswith("toda-backup-") for p in destination.iterdir()] == [True]
    signed = shell.signed
    assert signed is not None
    saved = signed.backup.settings()
    assert (saved.keep, saved.offer_after, saved.folder) == (5, timedelta(days=3), destination)
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):  # made today: not offered
        click(qtbot, dialog.cancel_button)
        window.sign_out_action.trigger()

    window = sign_in(qtbot, shell, "demo-it")
    assert not window.backup_action.isVisible()  # holds the system key only
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):
        window.sign_out_action.trigger()


def test_sign_out_offers_a_backup_when_the_last_is_older_than_a_day(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, wall_clock: WallClock,
    screenshot_dir: Path,
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    signed = shell.signed
    assert signed is not None
    signed.backup.set_settings(folder=tmp_path / "backups")
    old = (wall_clock() - timedelta(days=2)).isoformat(timespec="seconds")
    signed.store.db.call(lambda c: c.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (LAST_KEY, old)))
    window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: bool(window.findChildren(BackupDialog)), timeout=WAIT_MS)
    dialog = _dialog(window)
    assert dialog.intro_label is not None and OFFER_QUESTION in dialog.intro_label.text()
    assert dialog.cancel_button.text() == "作成しない"
    dialog.grab().save(str(screenshot_dir / "backup-offer.png"))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: dialog.result_done is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):  # then the sign-out goes on
        click(qtbot, dialog.cancel_button)
    assert len(list((tmp_path / "backups").iterdir())) == 1


def test_after_a_restore_the_audit_page_names_it_and_offers_to_acknowledge(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, tmp_path: Path,
    screenshot_dir: Path,
) -> None:
    from storage import backup
    from tests.storage.backup_world import sign_in as sign_in_service
    from ui.audit.page import AuditPage

    lead = sign_in_service(demo_store_path)
    try:
        done = lead.backup.create(tmp_path / "backups")
    finally:
        lead.sign_out()
    target = tmp_path / "restored" / "city.tdb"
    info, staged = backup.stage_restore(done.path, target)
    restorer = sign_in_service(staged)
    try:
        restorer.backup.record_restore(info)
    finally:
        restorer.sign_out()
    backup.finish_restore(staged, target)

    shell = make_shell(target)
    window = sign_in(qtbot, shell, "demo-lead")
    page = window.show_page("監査ログ")
    assert isinstance(page, AuditPage)
    with qtbot.waitSignal(page.verify_task.ended, timeout=WAIT_MS):
        click(qtbot, page.verify_button)
    check = page.last_check
    assert check is not None and not check.ok
    assert page.acknowledge_button.isVisible()
    assert "復元" in page.status_label.text() and done.path.name in page.status_label.text()
    window.grab().save(str(screenshot_dir / "audit-after-restore.png"))
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):
        window.sign_out_action.trigger()
