"""The login window first (issue 16): it shows before the services are imported, and a user
who signs in before they have loaded is signed in once they have, not refused."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kernel.date_style import DateStyle
from toda_desktop.header import read_header
from toda_desktop.store_setup import DEMO_PASSWORD
from ui.app import DeferredStart, Options
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.login_window import LoginWindow

from .flows import WAIT_MS


def test_a_sign_in_submitted_while_the_rest_loads_goes_through(
    qtbot: QtBot, qapp: QApplication, app_font: QFont, reporter: ErrorReporter,
    demo_store_path: Path,
) -> None:
    runner = BackgroundRunner(reporter)
    options = Options(store=demo_store_path, date_style=DateStyle.WAREKI, smoke=False,
                      screenshots=None)
    start = DeferredStart(qapp, options, reporter, runner)
    login = LoginWindow(read_header(demo_store_path), start.start_sign_in, runner)
    login.show()
    start.load(login)
    assert start.shell is None  # the window is up; the application is built afterwards
    login.login_id_edit.setText("demo-director")
    login.password_edit.setText(DEMO_PASSWORD)
    login.submit()  # at once: waits on the worker for the application, not on the screen
    try:
        qtbot.waitUntil(lambda: start.shell is not None and start.shell.main_window is not None,
                        timeout=WAIT_MS * 2)
        assert start.shell is not None and start.shell.login_window is None
        assert start.shell.signed is not None
        assert start.shell.signed.user.login_id == "demo-director"
    finally:
        if start.shell is not None:
            start.shell.shutdown()
        else:
            login.close()
            runner.shutdown()


def test_a_store_that_cannot_be_opened_after_the_window_showed_is_said_on_it(
    qtbot: QtBot, qapp: QApplication, app_font: QFont, reporter: ErrorReporter,
    demo_store_path: Path, tmp_path: Path,
) -> None:
    runner = BackgroundRunner(reporter)
    header = read_header(demo_store_path)
    gone = tmp_path / "gone.tdb"  # the store moved away after its header was read
    options = Options(store=gone, date_style=DateStyle.WAREKI, smoke=False, screenshots=None)
    start = DeferredStart(qapp, options, reporter, runner)
    login = LoginWindow(header, start.start_sign_in, runner)
    login.show()
    try:
        start.load(login)
        qtbot.waitUntil(start.ready.is_set, timeout=WAIT_MS)
        assert start.shell is None and start.failure
        login.login_id_edit.setText("demo-director")
        login.password_edit.setText(DEMO_PASSWORD)
        login.submit()
        qtbot.waitUntil(lambda: login.error_label.isVisible(), timeout=WAIT_MS)
        assert start.failure in login.error_label.text()
    finally:
        login.close()
        runner.shutdown()
