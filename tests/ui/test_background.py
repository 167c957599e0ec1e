"""The background helper: results on the GUI thread, delayed progress, cancel, one error path."""

from __future__ import annotations

import threading
import time

import pytest
import shiboken6
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from toda_desktop.errors import OperationCancelled, UserFacingError
from ui.background import PROGRESS_DIALOG_DELAY_MS, BackgroundRunner, TaskContext
from ui.error_reporting import ErrorReporter

pytestmark = pytest.mark.gui


def _parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def test_result_is_delivered_on_the_gui_thread(qtbot: QtBot, runner: BackgroundRunner) -> None:
    worker_threads: list[threading.Thread] = []
    received: list[tuple[int, threading.Thread]] = []

    def task(_ctx: TaskContext) -> int:
        worker_threads.append(threading.current_thread())
        return 42

    op = runner.run(
        task,
        on_success=lambda v: received.append((v, threading.current_thread())),
        parent=_parent(qtbot),
    )
    with qtbot.waitSignal(op.finished, timeout=5000):
        pass
    assert received == [(42, threading.main_thread())]
    assert worker_threads[0] is not threading.main_thread()


def test_quick_work_shows_no_progress_dialog(qtbot: QtBot, runner: BackgroundRunner) -> None:
    op = runner.run(lambda _ctx: None, on_success=lambda _v: None, parent=_parent(qtbot))
    with qtbot.waitSignal(op.finished, timeout=5000):
        pass
    assert op.progress_dialog is None


def test_slow_work_shows_progress_dialog_and_can_be_cancelled(
    qtbot: QtBot, runner: BackgroundRunner
) -> None:
    started = time.monotonic()
    outcome: list[str] = []
    progress_seen: list[float] = []

    def task(ctx: TaskContext) -> str:
        for step in range(500):
            if ctx.cancelled():
                raise OperationCancelled()
            ctx.progress(step / 500)
            time.sleep(0.01)
        return "done"

    op = runner.run(
        task,
        on_success=outcome.append,
        on_cancelled=lambda: outcome.append("cancelled"),
        on_progress=progress_seen.append,
        parent=_parent(qtbot),
        label="テスト中…",
        cancellable=True,
    )
    qtbot.waitUntil(lambda: op.progress_dialog is not None, timeout=3000)
    assert time.monotonic() - started >= PROGRESS_DIALOG_DELAY_MS / 1000 - 0.05
    dialog = op.progress_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert dialog.labelText() == "テスト中…"
    button = next(b for b in dialog.findChildren(QPushButton) if b.text() == "中止")
    with qtbot.waitSignal(op.finished, timeout=5000):
        button.click()  # the dialog's 中止 button
    assert outcome == ["cancelled"]
    assert progress_seen and 0 < progress_seen[-1] < 1


def test_slow_cancellable_work_that_finishes_delivers_its_result(
    qtbot: QtBot, runner: BackgroundRunner
) -> None:
    """Closing the progress dialog at the end is not a 中止 (it once discarded the result)."""
    outcome: list[str] = []

    def task(ctx: TaskContext) -> str:
        for step in range(100):
            if ctx.cancelled():
                raise OperationCancelled()
            ctx.progress(step / 100)
            time.sleep(0.01)
        return "done"

    op = runner.run(task, on_success=outcome.append,
                    on_cancelled=lambda: outcome.append("cancelled"),
                    parent=_parent(qtbot), cancellable=True)
    qtbot.waitUntil(lambda: op.progress_dialog is not None, timeout=3000)
    with qtbot.waitSignal(op.finished, timeout=5000):
        pass
    assert outcome == ["done"]


def test_user_facing_error_goes_to_the_callback(qtbot: QtBot, runner: BackgroundRunner) -> None:
    errors: list[str] = []

    def task(_ctx: TaskContext) -> None:
        raise UserFacingError("ファイルが見つかりません。")

    op = runner.run(
        task,
        on_success=lambda _v: errors.append("success?"),
        on_user_error=errors.append,
        parent=_parent(qtbot),
    )
    with qtbot.waitSignal(op.finished, timeout=5000):
        pass
    assert errors == ["ファイルが見つかりません。"]


def test_unexpected_error_goes_to_the_error_dialog(
    qtbot: QtBot, runner: BackgroundRunner, reporter: ErrorReporter
) -> None:
    def task(_ctx: TaskContext) -> None:
        raise KeyError("戸田 花子")

    op = runner.run(task, on_success=lambda _v: None, parent=_parent(qtbot))
    with qtbot.waitSignal(op.finished, timeout=5000):
        pass
    qtbot.waitUntil(lambda: len(reporter.open_dialogs) == 1, timeout=3000)
    box = reporter.open_dialogs[0]
    assert "戸田 花子" not in box.text() + box.informativeText() + box.detailedText()


def test_callbacks_are_skipped_when_the_window_is_gone(
    qtbot: QtBot, runner: BackgroundRunner
) -> None:
    widget = QWidget()
    gate = threading.Event()
    calls: list[object] = []

    op = runner.run(lambda _ctx: gate.wait(5), on_success=calls.append, parent=widget)
    widget.deleteLater()
    qtbot.waitUntil(lambda: not _is_valid(widget), timeout=3000)
    with qtbot.waitSignal(op.finished, timeout=5000):
        gate.set()
    assert calls == []


def _is_valid(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)


def test_shutdown_cancels_and_joins_the_worker(qtbot: QtBot, reporter: ErrorReporter) -> None:
    run = BackgroundRunner(reporter)
    seen_cancel: list[bool] = []

    def task(ctx: TaskContext) -> None:
        while not ctx.cancelled():
            time.sleep(0.01)
        seen_cancel.append(True)

    run.run(task, on_success=lambda _v: None, parent=_parent(qtbot), progress_dialog=False)
    time.sleep(0.05)
    run.shutdown()
    assert seen_cancel == [True]
    assert not [t for t in threading.enumerate() if t.name.startswith("toda-worker")]


def test_work_whose_window_closed_meanwhile_still_ends_cleanly(
    qtbot: QtBot, runner: BackgroundRunner
) -> None:
    """Found in review: closing a karte tab while its records load (progress window showing)
    deleted the dialog with the tab; the op then failed at the end, never finished, and
    sign-out and quit (which cancel every op) failed with it."""
    parent = QWidget()
    release = threading.Event()
    delivered: list[str] = []
    op = runner.run(lambda _ctx: release.wait(5) and "done", on_success=delivered.append,
                    parent=parent, label="読み込んでいます…", cancellable=True)
    qtbot.waitUntil(lambda: op.progress_dialog is not None, timeout=3000)
    parent.deleteLater()  # the tab closes, its children (the progress window) with it
    qtbot.waitUntil(lambda: not shiboken6.isValid(parent), timeout=3000)
    runner.cancel_all()  # as sign-out does: must not fail on the dead dialog
    with qtbot.waitSignal(op.finished, timeout=5000):
        release.set()
    assert delivered == []  # nobody left to tell
    assert not runner.busy
