"""One kind of background work of a page (loading, a rollback, an export), run the same way
on every page.

A :class:`PageTask` wraps :meth:`BackgroundRunner.run` with what each page used to rebuild:
at most one run at a time (``running``), widgets that are disabled meanwhile (busy state),
explained failures shown inline on the page's :class:`StatusLine` (or another label), the
in-page :class:`ProgressStrip` with 中止, and ``ended`` once the run is over, whatever its
outcome. An unexpected failure (a bug, a missing library) is logged without its text and
said on the page itself (:mod:`ui.page_failure`: the figures or list could not be made,
もう一度試す, the error id for the administrator), on every page the same way.
``writes=True`` marks a task that changes the store: if it completed although 中止 came too
late, it is reported as done (``on_success``), never as cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QWidget

from ui import style
from ui.background import BackgroundOp, BackgroundRunner, TaskContext, alive
from ui.page_failure import FailureNotice, place_notice
from ui.page_header import ProgressStrip, StatusLine

T = TypeVar("T")


class PageTask(QObject):
    """A page's background task of one kind; ``run`` starts it unless it is running."""

    started = Signal()
    ended = Signal()

    def __init__(
        self,
        page: QWidget,
        runner: BackgroundRunner,
        label: str,
        *,
        status: QLabel | None = None,
        strip: ProgressStrip | None = None,
        busy: Sequence[QWidget] = (),
        cancellable: bool = False,
        progress_dialog: bool = True,
        writes: bool = False,
    ) -> None:
        """``label`` names the work in the delayed progress dialog (and on the strip);
        ``status`` shows an explained failure inline (else a message box says it);
        ``strip`` shows progress and 中止 inside the page (then no dialog opens);
        ``busy`` lists the widgets disabled while the task runs."""
        super().__init__(page)
        self._page = page
        self._runner = runner
        self.label = label
        self._status = status
        self._strip = strip
        self._busy = list(busy)
        self._cancellable = cancellable or strip is not None
        self._progress_dialog = progress_dialog and strip is None
        self._writes = writes
        self.op: BackgroundOp[Any] | None = None
        self._on_ended: Callable[[], None] | None = None
        self._notice: FailureNotice | None = None
        self._retry: Callable[[], object] | None = None
        if strip is not None:
            strip.cancel_button.clicked.connect(self.cancel)

    @property
    def running(self) -> bool:
        return self.op is not None

    def run(
        self,
        task: Callable[[TaskContext], T],
        on_success: Callable[[T], None],
        *,
        label: str | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_user_error: Callable[[str], None] | None = None,
        on_progress: Callable[[float], None] | None = None,
        on_ended: Callable[[], None] | None = None,
    ) -> BackgroundOp[T] | None:
        """Start ``task`` on the worker (None if this task is still running); callbacks run
        on the GUI thread. ``on_user_error`` replaces the inline status message;
        ``on_ended`` runs once this run is over, whatever its outcome (before ``ended``)."""
        if self.op is not None:
            return None
        if self._notice is not None and alive(self._notice):
            self._notice.hide()
        self._retry = lambda: self.run(
            task, on_success, label=label, on_cancelled=on_cancelled,
            on_user_error=on_user_error, on_progress=on_progress, on_ended=on_ended)
        self._on_ended = on_ended
        text = label or self.label
        strip = self._strip
        if strip is not None:
            strip.start(text)
        self._set_busy(True)

        def progressed(fraction: float) -> None:
            if strip is not None:
                strip.set_fraction(fraction)
            if on_progress is not None:
                on_progress(fraction)

        op = self._runner.run(
            task,
            on_success=on_success,
            parent=self._page,
            label=text,
            cancellable=self._cancellable,
            progress_dialog=self._progress_dialog,
            on_user_error=on_user_error or self._user_error_handler(),
            on_cancelled=on_cancelled,
            on_progress=progressed if strip is not None or on_progress is not None else None,
            writes=self._writes,
            on_unexpected_error=self._show_failure,
        )
        self.op = op
        op.finished.connect(self._finished)
        self.started.emit()
        return op

    def cancel(self) -> None:
        """Ask the running task to stop (at its next cancel check)."""
        if self.op is None:
            return
        self.op.cancel()
        if self._strip is not None and alive(self._strip):
            self._strip.cancelling()

    @property
    def failure_notice(self) -> FailureNotice | None:
        """The inline notice of the last unexpected failure (None before the first)."""
        return self._notice if self._notice is not None and alive(self._notice) else None

    def _show_failure(self, error_id: str) -> bool:
        """Say on the page that the work failed (False: no room, the dialog says it)."""
        if not alive(self._page):
            return False
        notice = self.failure_notice
        if notice is None:
            status = self._status if self._status is not None and alive(self._status) else None
            notice = self._notice = place_notice(self._page, status)
            if notice is None:
                return False
        if self._status is not None and alive(self._status):
            self._status.hide()  # an older message would contradict the notice
        notice.show_failure(error_id, writes=self._writes, retry=self._retry)
        return True

    def _user_error_handler(self) -> Callable[[str], None] | None:
        status = self._status
        if status is None:
            return None

        def show(message: str) -> None:
            if isinstance(status, StatusLine):
                status.show_message(message, error=True)
            else:
                status.setText(message)
                status.setStyleSheet(style.ERROR_TEXT)
                status.show()

        return show

    def _set_busy(self, busy: bool) -> None:
        for widget in self._busy:
            if alive(widget):
                widget.setEnabled(not busy)

    def _finished(self) -> None:
        self.op = None
        on_ended, self._on_ended = self._on_ended, None
        if not alive(self._page):
            return
        if self._strip is not None and alive(self._strip):
            self._strip.stop()
        self._set_busy(False)
        if on_ended is not None:
            on_ended()
        self.ended.emit()
