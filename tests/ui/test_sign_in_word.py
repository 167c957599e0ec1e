"""One word for signing in: サインイン (issue 16, item 8). 「ログインID」 stays the name of
the account's identifier; signing in itself is never called ログイン on a screen."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from ui.shell import Shell

UI = Path(__file__).resolve().parents[2] / "ui"


def _stray_login_words(text: str) -> bool:
    return "ログイン" in text.replace("ログインID", "")


def test_no_ui_string_calls_signing_in_login() -> None:
    found = []
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and _stray_login_words(node.value):
                found.append(f"{path.relative_to(UI.parent)}:{node.lineno}: {node.value}")
    assert found == []


@pytest.mark.usefixtures("app_ctx")
def test_login_card_button_says_sign_in(qtbot: QtBot, shell: Shell) -> None:
    login = shell.show_login()
    qtbot.waitExposed(login)
    assert login.login_button.text() == "サインイン"
    texts = [w.text() for w in login.findChildren(QLabel) + login.findChildren(QAbstractButton)
             if w.isVisible()]
    assert not [t for t in texts if _stray_login_words(t)]
