"""Unexpected errors: a generic Japanese dialog with an error id, a log without personal data."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ui.error_reporting import ERROR_TEXT, ErrorReporter, describe_exception

pytestmark = pytest.mark.gui

SECRET = "戸田 太郎 2014-05-06 宛名番号 123456"


def _raise() -> None:
    try:
        {}["x"]
    except KeyError as exc:
        raise ValueError(SECRET) from exc


def _caught() -> ValueError:
    try:
        _raise()
    except ValueError as exc:
        return exc
    raise AssertionError


def test_dialog_shows_no_exception_text(
    qtbot: QtBot, reporter: ErrorReporter, tmp_path: Path, screenshot_dir: Path
) -> None:
    error_id = reporter.report(_caught())
    qtbot.waitUntil(lambda: len(reporter.open_dialogs) == 1, timeout=3000)
    box = reporter.open_dialogs[0]
    shown = box.windowTitle() + box.text() + box.informativeText() + box.detailedText()
    assert SECRET not in shown and "ValueError" not in shown
    assert box.text() == ERROR_TEXT
    assert error_id in box.informativeText()
    box.grab().save(str(screenshot_dir / "error_dialog.png"))

    log = (tmp_path / "logs" / "errors.log").read_text(encoding="utf-8")
    assert error_id in log
    assert "builtins.ValueError" in log and "builtins.KeyError" in log
    assert "_raise" in log  # frames are kept for the developers
    assert SECRET not in log and "2014" not in log


def test_describe_exception_keeps_no_message() -> None:
    lines = describe_exception(_caught())
    assert all(SECRET not in line for line in lines)
    assert lines[0] == "builtins.ValueError"


def test_uncaught_exception_hook_reports(qtbot: QtBot, reporter: ErrorReporter) -> None:
    import sys

    reporter.install()
    try:
        exc = _caught()
        sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        reporter.uninstall()
    qtbot.waitUntil(lambda: len(reporter.open_dialogs) == 1, timeout=3000)
    assert reporter.report_count == 1


def test_log_falls_back_to_stderr_without_a_folder(qtbot: QtBot) -> None:
    import io

    stream = io.StringIO()
    rep = ErrorReporter(None, stream=stream)
    rep.report(_caught())
    assert "builtins.ValueError" in stream.getvalue()
    assert SECRET not in stream.getvalue()
    qtbot.waitUntil(lambda: len(rep.open_dialogs) == 1, timeout=3000)
    rep.open_dialogs[0].close()
