"""The one helper for work off the GUI thread (after Anki's ``QueryOp``).

Every service call that may take noticeable time goes through :class:`BackgroundRunner`:
it runs on a single worker thread (the services' calls are serialized, like Anki's
collection executor), reports progress through a thread-safe callback, can be cancelled,
shows a non-modal progress dialog only if the work takes longer than ~600 ms, and has one
error path: an error the services explain (``toda_desktop.errors.user_message``) shows its
Japanese message, anything else is logged by the :class:`ErrorReporter` (no message text)
and shown either by the caller (``on_unexpected_error``: a page says so inline, with the
error id) or in the reporter's dialog. Results are delivered on the GUI thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeGuard, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from toda_desktop.errors import OperationCancelled, user_message
from ui.error_reporting import ErrorReporter

T = TypeVar("T")
W = TypeVar("W", bound=QWidget)

PROGRESS_DIALOG_DELAY_MS = 600
_PROGRESS_STEPS = 1000


class TaskContext:
    """Handed to the task on the worker thread: report progress, ask whether to stop."""

    def __init__(self, emit_progress: Callable[[float], None]) -> None:
        self._emit_progress = emit_progress
        self._cancel = threading.Event()
        self._last_value = -1.0
        self._last_time = 0.0

    def progress(self, fraction: float) -> None:
        """Report progress in [0, 1]; throttled so a tight loop cannot flood the GUI."""
        fraction = min(max(fraction, 0.0), 1.0)
        now = time.monotonic()
        if fraction in (0.0, 1.0) or (
            abs(fraction - self._last_value) >= 0.005 and now - self._last_time >= 0.03
        ):
            self._last_value, self._last_time = fraction, now
            self._emit_progress(fraction)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def request_cancel(self) -> None:
        self._cancel.set()


class BackgroundOp(QObject, Generic[T]):
    """One running operation; lives on the GUI thread and calls back there."""

    finished = Signal()
    _progressed = Signal(float)
    _completed = Signal(object, object)

    def __init__(
        self,
        *,
        parent_widget: QWidget | None,
        label: str,
        cancellable: bool,
        progress_dialog: bool,
        on_success: Callable[[T], None],
        on_user_error: Callable[[str], None] | None,
        on_cancelled: Callable[[], None] | None,
        on_progress: Callable[[float], None] | None,
        reporter: ErrorReporter,
        writes: bool = False,
        on_unexpected_error: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__()
        self._writes = writes
        self._on_unexpected = on_unexpected_error
        self._parent_widget = parent_widget
        self._label = label
        self._cancellable = cancellable
        self._on_success = on_success
        self._on_user_error = on_user_error
        self._on_cancelled = on_cancelled
        self._on_progress = on_progress
        self._reporter = reporter
        self._dialog: QProgressDialog | None = None
        self._last_progress: float | None = None
        self._running = True
        self._abandoned = False
        self.context = TaskContext(self._progressed.emit)
        self._progressed.connect(self._show_progress, Qt.ConnectionType.QueuedConnection)
        self._completed.connect(self._complete, Qt.ConnectionType.QueuedConnection)
        self._timer: QTimer | None = None
        if progress_dialog:
            self._timer = QTimer(self)
            self._timer.setSingleShot(True)
            self._timer.timeout.connect(self._open_dialog)
            self._timer.start(PROGRESS_DIALOG_DELAY_MS)

    @property
    def running(self) -> bool:
        return self._running

    def abandon(self) -> None:
        """The runner shut down before this op reported back: drop its callbacks and dialog."""
        self._abandoned = True
        self._running = False
        if self._timer is not None:
            self._timer.stop()
        self._close_dialog()

    def _live_dialog(self) -> QProgressDialog | None:
        """The progress dialog, unless Qt deleted it with its parent window meanwhile."""
        if self._dialog is not None and not shiboken6.isValid(self._dialog):
            self._dialog = None
        return self._dialog

    def _close_dialog(self) -> None:
        dialog = self._live_dialog()
        self._dialog = None
        if dialog is not None:
            # Closing a QProgressDialog emits ``canceled``: that must not read as the user's
            # 中止 (it would throw away the result of every cancellable task that got a dialog).
            dialog.blockSignals(True)
            dialog.close()
            dialog.deleteLater()

    @property
    def progress_dialog(self) -> QProgressDialog | None:
        """The delayed progress dialog, once shown (for tests and the smoke check)."""
        return self._dialog

    def cancel(self) -> None:
        """Ask the task to stop; it finishes at its next cancel check."""
        self.context.request_cancel()
        dialog = self._live_dialog()
        if dialog is not None:
            dialog.setLabelText("中止しています…")

    def run_on_worker(self, task: Callable[[TaskContext], T]) -> None:
        """Body executed on the worker thread; never raises."""
        try:
            result: Any = task(self.context)
        except BaseException as exc:
            self._completed.emit(None, exc)
        else:
            self._completed.emit(result, None)

    def _alive(self, widget: QWidget | None) -> bool:
        return widget is None or shiboken6.isValid(widget)

    @Slot()
    def _open_dialog(self) -> None:
        if not self._running or not self._alive(self._parent_widget):
            return
        dialog = QProgressDialog(self._parent_widget)
        dialog.setWindowTitle("処理中")
        dialog.setLabelText(self._label)
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        if self._cancellable:
            dialog.setCancelButtonText("中止")
            dialog.canceled.connect(self.cancel)
        else:
            dialog.setCancelButton(None)
        if self._last_progress is None:
            dialog.setRange(0, 0)  # busy indicator until the first progress report
        else:
            dialog.setRange(0, _PROGRESS_STEPS)
            dialog.setValue(round(self._last_progress * _PROGRESS_STEPS))
        self._dialog = dialog
        dialog.show()

    @Slot(float)
    def _show_progress(self, fraction: float) -> None:
        if not self._running:
            return
        self._last_progress = fraction
        dialog = self._live_dialog()
        if dialog is not None:
            dialog.setRange(0, _PROGRESS_STEPS)
            dialog.setValue(round(fraction * _PROGRESS_STEPS))
        if self._on_progress is not None and self._alive(self._parent_widget):
            self._on_progress(fraction)

    @Slot(object, object)
    def _complete(self, result: Any, error: BaseException | None) -> None:
        self._running = False
        try:
            if self._timer is not None:
                self._timer.stop()
            self._close_dialog()
            if self._abandoned or not self._alive(self._parent_widget):
                return  # the window that asked is gone (or the app is closing); nobody to tell
            if isinstance(error, OperationCancelled) or (
                error is None and self.context.cancelled() and not self._writes
            ):
                # Stopped on request (or a read that finished although asked to stop: its
                # result is discarded). A write that finished is done, 中止 or not.
                if self._on_cancelled is not None:
                    self._on_cancelled()
            elif error is None:
                self._on_success(result)
            elif (message := user_message(error)) is not None:
                if self._on_user_error is not None:
                    self._on_user_error(message)
                else:
                    show_user_error(self._parent_widget, message)
            else:
                self._report_unexpected(error)
        except Exception as exc:
            self._reporter.report(exc)
        finally:
            self.finished.emit()
            # Nothing the callbacks hold stays reachable through a finished op (a worker may
            # still hold the op itself for a moment).
            self._on_success = self._on_user_error = self._on_cancelled = None  # type: ignore[assignment]
            self._on_progress = None
            self._on_unexpected = None
            self._parent_widget = None
            self.deleteLater()

    def _report_unexpected(self, error: BaseException) -> None:
        """Log it; the caller shows it (with the id) if it can, else the reporter's dialog."""
        shown_by = self._on_unexpected
        if shown_by is None:
            self._reporter.report(error)
            return
        error_id = self._reporter.report(error, show=False)
        if not shown_by(error_id):
            self._reporter.show(error_id)


def alive(widget: W | None) -> TypeGuard[W]:
    """Whether a widget still exists (a dialog closed with WA_DeleteOnClose, a tab closed,
    may be gone by the time a task reports back)."""
    return widget is not None and shiboken6.isValid(widget)


def show_user_error(parent: QWidget | None, message: str) -> None:
    """The default presentation of an expected, explained failure."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("お知らせ")
    box.setText(message)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


class BackgroundRunner(QObject):
    """Owns the single worker thread; create once at start-up and pass it down."""

    def __init__(self, reporter: ErrorReporter) -> None:
        super().__init__()
        self._reporter = reporter
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="toda-worker")
        self._ops: set[BackgroundOp[Any]] = set()
        self._closed = False

    @property
    def busy(self) -> bool:
        return bool(self._ops)

    def run(
        self,
        task: Callable[[TaskContext], T],
        *,
        on_success: Callable[[T], None],
        parent: QWidget | None,
        label: str = "処理しています…",
        cancellable: bool = False,
        progress_dialog: bool = True,
        on_user_error: Callable[[str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_progress: Callable[[float], None] | None = None,
        writes: bool = False,
        on_unexpected_error: Callable[[str], bool] | None = None,
    ) -> BackgroundOp[T]:
        """Run ``task(context)`` on the worker; callbacks run on the GUI thread.

        ``on_user_error`` receives the Japanese message of an explained failure so a window
        can show it inline instead of in a message box; other exceptions are logged and go to
        the error dialog, unless ``on_unexpected_error`` (given the logged error's id) shows it
        and returns True. Callbacks are skipped when ``parent`` has been deleted meanwhile.
        ``writes``: the task changes the store; if it completed although 中止 was pressed
        (too late to stop), the change is real, so ``on_success`` hears of it, not
        ``on_cancelled``.
        """
        if self._closed:
            raise RuntimeError("BackgroundRunner is shut down")
        op: BackgroundOp[T] = BackgroundOp(
            parent_widget=parent,
            label=label,
            cancellable=cancellable,
            progress_dialog=progress_dialog,
            on_success=on_success,
            on_user_error=on_user_error,
            on_cancelled=on_cancelled,
            on_progress=on_progress,
            reporter=self._reporter,
            writes=writes,
            on_unexpected_error=on_unexpected_error,
        )
        self._ops.add(op)
        op.finished.connect(lambda: self._ops.discard(op))
        self._executor.submit(op.run_on_worker, task)
        return op

    def cancel_all(self) -> None:
        """Ask every running operation to stop (before sign-out or quit)."""
        for op in list(self._ops):
            op.cancel()

    def call_blocking(self, func: Callable[[], T], timeout: float = 30.0) -> T:
        """Run a short call on the worker and wait: only for shutdown-time calls (sign-out,
        close) that must happen on the services' thread while no window is left to freeze."""
        if self._closed:
            raise RuntimeError("BackgroundRunner is shut down")
        future: Future[T] = self._executor.submit(func)
        return future.result(timeout=timeout)

    def shutdown(self) -> None:
        """Cancel running work, wait for the worker thread to end. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.cancel_all()
        self._executor.shutdown(wait=True, cancel_futures=True)
        for op in list(self._ops):
            op.abandon()
            op.deleteLater()
        self._ops.clear()
