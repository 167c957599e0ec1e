"""Driving the windows as a user would: type, click, wait (shared by the window tests)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from pytestqt.qtbot import QtBot

from toda_desktop.export_purpose.model import Purpose
from toda_desktop.store_setup import DEMO_PASSWORD
from ui.login_window import LoginWindow
from ui.main_window import MainWindow
from ui.shell import Shell

WAIT_MS = 20000
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def visible_texts(widget: QWidget) -> list[str]:
    texts = [w.text() for w in widget.findChildren(QLabel) if w.isVisible()]
    texts += [w.text() for w in widget.findChildren(QAbstractButton) if w.isVisible()]
    return [t for t in texts if t]


def english_words(texts: Iterable[str], allowed: Iterable[str] = ()) -> list[str]:
    """Latin words in visible text, apart from login ids and the allowed ones."""
    allowed = set(allowed)
    found = []
    for text in texts:
        for word in LATIN_WORD.findall(text):
            if word not in allowed and not word.startswith("demo"):
                found.append(word)
    return found


def submit_password(
    qtbot: QtBot, shell: Shell, login_id: str, password: str = DEMO_PASSWORD
) -> LoginWindow:
    login = shell.login_window or shell.show_login()
    qtbot.waitExposed(login)
    login.login_id_edit.setText(login_id)
    login.password_edit.setText(password)
    qtbot.mouseClick(login.login_button, Qt.MouseButton.LeftButton)
    return login


def enter_password(
    qtbot: QtBot, shell: Shell, login_id: str, password: str = DEMO_PASSWORD
) -> LoginWindow:
    """Fill the first step and submit; returns when the palm page is shown (use when the
    palm step is scripted not to succeed at once)."""
    login = submit_password(qtbot, shell, login_id, password)
    qtbot.waitUntil(lambda: login.steps.currentIndex() == login.PALM_PAGE, timeout=WAIT_MS)
    return login


def sign_in(
    qtbot: QtBot, shell: Shell, login_id: str, password: str = DEMO_PASSWORD
) -> MainWindow:
    """Both steps (the simulator presents the user's own palm unless scripted)."""
    with qtbot.waitSignal(shell.main_window_shown, timeout=WAIT_MS) as blocker:
        submit_password(qtbot, shell, login_id, password)
    window = blocker.args[0]
    assert isinstance(window, MainWindow)
    qtbot.waitExposed(window)
    return window


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def answer_purpose(_question: object, go: Callable[[Purpose | None], None]) -> None:
    """A page's ``choose_purpose`` for tests of what follows the purpose (the dialog itself:
    test_export_purpose_ui.py)."""
    go(Purpose("ケース会議の資料"))
