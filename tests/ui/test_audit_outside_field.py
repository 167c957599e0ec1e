"""監査ログ: the administrator's field for the folder outside the store (real demo store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from storage import audit_outside
from storage.store import Store
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, click, sign_in
from ui.audit.page import AuditPage

pytestmark = pytest.mark.gui


def test_an_administrator_sets_the_outside_folder_on_the_audit_page(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, demo_store_path: Path,
    screenshot_dir: Path,
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    page = window.show_page("監査ログ")
    assert isinstance(page, AuditPage)
    qtbot.waitUntil(lambda: page.loaded and not page.loading
                    and not page.outside_task.running, timeout=WAIT_MS)
    assert page.outside_edit.text() == ""  # not set yet
    window.grab().save(str(screenshot_dir / "audit_page_outside_folder.png"))

    page.outside_edit.setText(str(tmp_path / "missing"))
    click(qtbot, page.outside_button)
    qtbot.waitUntil(lambda: "見つかりません" in page.status_label.text(), timeout=WAIT_MS)

    folder = tmp_path / "it-server"
    folder.mkdir()
    page.outside_edit.setText(str(folder))
    click(qtbot, page.outside_button)
    qtbot.waitUntil(lambda: "控えを書き込みました" in page.status_label.text(), timeout=WAIT_MS)
    store_id = Store.read_keyfile(demo_store_path).store_id
    assert list(audit_outside.copies_dir(folder, store_id).glob("head-*.json"))
    qtbot.waitUntil(lambda: not page.loading and any(
        r.action == "audit_anchor_set" for r in page.model.rows), timeout=WAIT_MS)


def test_the_outside_folder_field_shows_the_setting_to_the_it_administrator(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path,
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-it")
    page = window.show_page("監査ログ")
    assert isinstance(page, AuditPage)
    qtbot.waitUntil(lambda: page.loaded and not page.outside_task.running, timeout=WAIT_MS)
    page.outside_edit.setText(str(tmp_path))
    click(qtbot, page.outside_button)
    qtbot.waitUntil(lambda: "控えを書き込みました" in page.status_label.text(), timeout=WAIT_MS)
    assert page.outside_edit.isVisible()
