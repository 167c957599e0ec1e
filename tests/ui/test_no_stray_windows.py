"""No page flashes a stray top-level window: a widget shown before it has a parent becomes a
window of its own, takes the activation from the main window and leaves the keyboard
shortcuts (Ctrl+C, Ctrl+P, F1) dead until the user clicks (a print button did, issue 14)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from ui.karte.page import KartePage

pytestmark = pytest.mark.gui


class _WindowsShown(QObject):
    """Remembers every top-level widget shown other than the main window."""

    def __init__(self, main: QWidget) -> None:
        super().__init__()
        self.main = main
        self.shown: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Show and isinstance(watched, QWidget)
                and watched.isWindow() and watched is not self.main):
            text = getattr(watched, "text", lambda: "")()
            self.shown.append(f"{type(watched).__name__} {text!r}")
        return False


@pytest.mark.parametrize("login", ["demo-lead", "demo-truancy"])
def test_visiting_every_page_and_a_karte_shows_no_stray_window(
    qtbot: QtBot, make_shell: ShellFactory, login: str
) -> None:
    window = sign_in(qtbot, make_shell(), login)
    watcher = _WindowsShown(window)
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(watcher)
    try:
        for title in window.page_titles():
            window.show_page(title)
            qtbot.wait(50)
        page = window.show_page("児童生徒カルテ")
        assert isinstance(page, KartePage)
        with qtbot.waitSignal(page.opened, timeout=WAIT_MS):
            page.open_pupil(1)
        qtbot.wait(300)
    finally:
        app.removeEventFilter(watcher)
    assert watcher.shown == [], '\n'.join(watcher.shown)
    assert QApplication.activeWindow() is window
