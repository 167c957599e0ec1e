"""研究用データの作成 in the window: the menu for the allowed roles only, the summary before
anything is written, then the files (real shell, real demo city, real services)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.ui.conftest import SCREENSHOT_DIR
from tests.ui.flows import WAIT_MS, click, sign_in
from ui.research.dialog import TITLE, ResearchDialog, open_research_dialog
from ui.shell import Shell

pytestmark = pytest.mark.gui


def menu_actions(window: object) -> list[str]:
    bar = window.menuBar()  # type: ignore[attr-defined]
    return [a.text() for m in bar.actions() if m.menu() for a in m.menu().actions()]


@pytest.mark.parametrize(("login", "shown"), [("demo-lead", True), ("demo-analyst", True),
                                              ("demo-director", False), ("demo-it", False)])
def test_the_menu_item_is_there_only_for_roles_with_research_export(
    qtbot: QtBot, shell: Shell, login: str, shown: bool,
) -> None:
    window = sign_in(qtbot, shell, login)
    assert (f"{TITLE}…" in menu_actions(window)) is shown


def _open(qtbot: QtBot, shell: Shell) -> ResearchDialog:
    window = sign_in(qtbot, shell, "demo-lead")
    assert shell.signed is not None
    dialog = open_research_dialog(window, shell.signed.research, shell._runner)
    qtbot.waitUntil(lambda: dialog.loaded and not dialog.load_task.running, timeout=WAIT_MS)
    return dialog


def test_a_new_project_then_the_summary_then_the_files(
    qtbot: QtBot, shell: Shell, tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dialog = _open(qtbot, shell)
    assert dialog.project_combo.count() == 0
    form = dialog.new_project()
    form.name_edit.setText("不登校研究")
    form.purpose_edit.setPlainText("大学との共同研究（研究計画書 第3版）")
    click(qtbot, form.ok_button)
    qtbot.waitUntil(lambda: dialog.project_combo.currentText() == "不登校研究",
                    timeout=WAIT_MS)
    assert "承認済み: デモ 総括（demo-lead）" in dialog.project_state.text()
    dialog.purpose_edit.setText("2026年度の分析")
    dialog.tree.check_kind("出欠状況（月次）")
    dialog.tree.check_kind("保健室利用")
    assert ("attendance_monthly", "absence_days") in dialog.tree.chosen()
    assert not dialog.write_button.isEnabled()
    click(qtbot, dialog.check_button)
    qtbot.waitUntil(lambda: dialog.prepared is not None, timeout=WAIT_MS)
    text = dialog.summary.text()
    assert dialog.summary.isVisible() and "k-匿名性（k = 10）" in text and "補完秘匿" in text
    assert list(out.iterdir()) == []  # nothing written before the folder is chosen
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SCREENSHOT_DIR / "research_dialog.png"))
    dialog.choose_folder = lambda: out
    click(qtbot, dialog.write_button)
    qtbot.waitUntil(lambda: dialog.written is not None, timeout=WAIT_MS)
    names = sorted(p.name for p in out.iterdir())
    assert any(n.endswith("_pupils.parquet") for n in names)
    assert any(n.endswith("_dictionary.md") for n in names)
    assert "個のファイルを作成しました" in dialog.status.text()


def test_changing_a_choice_after_the_check_asks_for_a_new_check(
    qtbot: QtBot, shell: Shell,
) -> None:
    dialog = _open(qtbot, shell)
    assert shell.signed is not None
    shell.signed.research.register_project("確認やり直し", "分析")
    dialog.load(select="確認やり直し")
    qtbot.waitUntil(lambda: dialog.project_combo.currentText() == "確認やり直し",
                    timeout=WAIT_MS)
    dialog.purpose_edit.setText("分析")
    click(qtbot, dialog.check_button)
    qtbot.waitUntil(lambda: dialog.prepared is not None, timeout=WAIT_MS)
    dialog.tree.check_kind("学校健診")
    assert dialog.prepared is None and not dialog.write_button.isEnabled()


def test_a_missing_purpose_is_said_in_the_dialog(qtbot: QtBot, shell: Shell) -> None:
    dialog = _open(qtbot, shell)
    assert shell.signed is not None
    shell.signed.research.register_project("目的なし", "分析")
    dialog.load(select="目的なし")
    qtbot.waitUntil(lambda: dialog.project_combo.currentText() == "目的なし", timeout=WAIT_MS)
    click(qtbot, dialog.check_button)
    qtbot.waitUntil(lambda: dialog.status.isVisible(), timeout=WAIT_MS)
    assert "利用目的を入力してください" in dialog.status.text()
    assert dialog.prepared is None
    boxes = [w for w in dialog.findChildren(QMessageBox) if w.isVisible()]
    assert boxes == []
