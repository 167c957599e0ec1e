"""権限設定 has 「個人情報ファイル簿を出力…」 for the project lead (issue 13): through the whole
window on a demo store, the register is written by the service and the page says so."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, click, sign_in
from ui.policy.page import PolicyPage


def test_the_lead_writes_the_register_from_the_policy_page(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, screenshot_dir: Path,
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    page = window.show_page("権限設定")
    assert isinstance(page, PolicyPage)
    qtbot.waitUntil(lambda: page.loaded, timeout=WAIT_MS)
    button = page.register_button
    assert button is not None and button.isVisible()
    target = tmp_path / "ファイル簿.md"
    button.choose_path = lambda: target  # type: ignore[method-assign]
    click(qtbot, button)
    qtbot.waitUntil(lambda: button.last_result is not None, timeout=WAIT_MS)
    assert target.exists() and "## 教育相談記録ファイル" in target.read_text("utf-8")
    assert "個人情報ファイル簿（10ファイル分）を出力しました" in page.message_label.text()
    window.grab().save(str(screenshot_dir / "policy_page_register.png"))

    # A second time to the same name asks before replacing it.
    click(qtbot, button)
    assert button.overwrite_question is not None
