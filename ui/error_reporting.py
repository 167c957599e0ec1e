"""The one place unexpected exceptions end up: a log entry and a Japanese dialog.

Exception messages may quote pupil data (a name in a KeyError, a row in a ValueError), so
neither the dialog nor the log ever contains them: the log keeps the exception type and the
traceback frames (file, line, function; no locals, no message) under a short error id that
the user can quote to the IT staff.
"""

from __future__ import annotations

import secrets
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TextIO

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from toda_desktop.clock import system_clock

ERROR_TITLE = "予期しないエラー"
ERROR_TEXT = "予期しないエラーが発生しました。"
ERROR_ADVICE = (
    "直前の操作が完了したかどうか、画面の内容を確認してください。\n"
    "問題が続く場合は、次のエラー番号をシステム管理者（デジタル戦略室）にお伝えください。"
)


def new_error_id() -> str:
    """A short id that users can read out on the phone (e.g. 'E-7K3Q9ZTM')."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    return "E-" + "".join(secrets.choice(alphabet) for _ in range(8))


def describe_exception(exc: BaseException) -> list[str]:
    """Type names and frames of an exception and its causes, without any message text."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        lines.append(f"{kind.__module__}.{kind.__qualname__}")
        for frame in traceback.extract_tb(current.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        current = current.__cause__ or current.__context__
        if current is not None:
            lines.append("caused by / during handling of:")
    return lines


class ErrorReporter(QObject):
    """Logs an exception without personal data and shows the generic dialog on the GUI thread.

    May be called from any thread: the dialog is shown through a queued signal.
    """

    _show_requested = Signal(str)

    def __init__(
        self,
        log_file: Path | None,
        dialog_parent: Callable[[], QWidget | None] = lambda: None,
        stream: TextIO | None = None,
    ) -> None:
        super().__init__()
        self._log_file = log_file
        self._dialog_parent = dialog_parent
        self._stream = stream if stream is not None else sys.stderr  # None in a windowed exe
        self._lock = threading.Lock()
        self._dialogs: list[QMessageBox] = []
        self._previous_hooks: tuple[object, object] | None = None
        self.report_count = 0
        self._show_requested.connect(self._show_dialog, Qt.ConnectionType.QueuedConnection)

    def set_dialog_parent(self, dialog_parent: Callable[[], QWidget | None]) -> None:
        """Tell the reporter which window its dialogs belong to (once windows exist)."""
        self._dialog_parent = dialog_parent

    @property
    def open_dialogs(self) -> tuple[QMessageBox, ...]:
        return tuple(self._dialogs)

    def report(self, exc: BaseException, *, show: bool = True) -> str:
        """Log the exception and (unless ``show`` is false) show the dialog; returns the id."""
        error_id = new_error_id()
        self.report_count += 1
        self._write_log(error_id, exc)
        if show:
            self._show_requested.emit(error_id)
        return error_id

    def show(self, error_id: str) -> None:
        """The dialog for an error already logged by ``report(..., show=False)``."""
        self._show_requested.emit(error_id)

    def show_blocking(self, error_id: str) -> None:
        """The same dialog, modal, for failures before the event loop runs (start-up)."""
        self._build_dialog(error_id).exec()

    def install(self) -> None:
        """Route uncaught exceptions (GUI thread and worker threads) to :meth:`report`."""
        self._previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook

    def uninstall(self) -> None:
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks  # type: ignore[assignment]
            self._previous_hooks = None

    def _excepthook(
        self,
        kind: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        self.report(exc.with_traceback(tb))

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.report(args.exc_value)

    def _write_log(self, error_id: str, exc: BaseException) -> None:
        stamp = system_clock().isoformat(timespec="seconds")
        entry = "\n".join([f"[{stamp}] {error_id}", *describe_exception(exc)])
        with self._lock:
            if self._log_file is not None:
                try:
                    self._log_file.parent.mkdir(parents=True, exist_ok=True)
                    with self._log_file.open("a", encoding="utf-8") as log:
                        log.write(entry + "\n")
                    return
                except OSError:
                    pass  # fall back to stderr: the report must not fail
            if self._stream is not None:
                print(entry, file=self._stream, flush=True)

    @Slot(str)
    def _show_dialog(self, error_id: str) -> None:
        box = self._build_dialog(error_id)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result, b=box: self._forget(b))
        self._dialogs.append(box)
        box.open()

    def _build_dialog(self, error_id: str) -> QMessageBox:
        box = QMessageBox(self._dialog_parent())
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(ERROR_TITLE)
        box.setText(ERROR_TEXT)
        box.setInformativeText(f"{ERROR_ADVICE}\n\nエラー番号: {error_id}")
        box.setStyleSheet(  # wide enough that sentences do not wrap mid-word
            "QLabel#qt_msgbox_label, QLabel#qt_msgbox_informativelabel { min-width: 540px; }"
        )
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.button(QMessageBox.StandardButton.Ok).setText("閉じる")
        return box

    def _forget(self, box: QMessageBox) -> None:
        if box in self._dialogs:
            self._dialogs.remove(box)
