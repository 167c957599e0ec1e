"""The 監査ログ page after QA9's activity: the lead still reads who opened which pupil's case
and why (the sealed parts opened with the reader key); the IT administrator's page shows the
same entries without pupil, case or reason, as before the seal."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.audit_seal.world import BULLYING_REASON, qa_activity
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from ui.audit.page import AuditPage
from ui.main_window import MainWindow

SIZES = ((1366, 768), (1366, 697), (1920, 1080))


def _audit_page(qtbot: QtBot, window: MainWindow) -> AuditPage:
    page = window.show_page("監査ログ")
    assert isinstance(page, AuditPage)
    qtbot.waitUntil(lambda: page.loaded and not page.loading, timeout=WAIT_MS)
    return page


def _shoot(qtbot: QtBot, window: MainWindow, folder: Path, name: str) -> None:
    for width, height in SIZES:
        window.resize(width, height)
        qtbot.wait(50)
        window.grab().save(str(folder / f"{name}_{width}x{height}.png"))


def test_the_lead_reads_the_sealed_entries_and_the_it_administrator_sees_no_pupil(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path, screenshot_dir: Path,
) -> None:
    done = qa_activity(demo_store_path)

    lead = sign_in(qtbot, make_shell(), "demo-lead")
    page = _audit_page(qtbot, lead)
    opened = [r for r in page.model.rows
              if r.action == "case_note_open" and r.actor == "demo-bullying"]
    assert opened and opened[0].pupil_id == done.pupil_id
    assert BULLYING_REASON in opened[0].detail_text
    assert opened[0].target_text.startswith("支援ケース いじめ-")
    _shoot(qtbot, lead, screenshot_dir, "audit_sealed_lead")
    lead.close()

    admin = sign_in(qtbot, make_shell(), "demo-it")
    page = _audit_page(qtbot, admin)
    same = [r for r in page.model.rows if r.id == opened[0].id]
    assert same and same[0].pupil_id is None and same[0].target_text == ""
    assert same[0].detail_text == "（非表示）"
    _shoot(qtbot, admin, screenshot_dir, "audit_sealed_it_admin")
