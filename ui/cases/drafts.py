"""Autosave of a form's draft, so that nothing typed is lost (issue 14).

A form reports each edit; a few seconds after the last one the draft is handed to the
service (the service keeps it per user and per form). The session refuses every call once
it is locked, so the draft is saved while the user is still active: the idle lock comes
only after minutes without a key or a click, long after the timer has fired. When the
screen locks all the same with an edit unsaved (the worker was busy), the form keeps it in
memory (the lock screen takes the pages out of the window, it does not close them) and the
draft is saved as soon as the screen is unlocked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ui.background import BackgroundRunner

AUTOSAVE_MS = 3000

Payload = dict[str, Any]


class DraftKeeper(QObject):
    """Saves ``collect()`` through ``save`` a short while after the last edit."""

    saved = Signal(object)  # datetime | None: when the service kept it
    failed = Signal(str)

    def __init__(self, runner: BackgroundRunner, collect: Callable[[], Payload],
                 save: Callable[[Payload], datetime | None], parent: QObject,
                 delay_ms: int = AUTOSAVE_MS) -> None:
        super().__init__(parent)
        self._runner = runner
        self._collect = collect
        self._save = save
        self._generation = 0  # edits so far
        self._saved_generation = 0
        self._running = False
        self.enabled = True
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.flush)

    @property
    def dirty(self) -> bool:
        return self._generation != self._saved_generation

    def edited(self) -> None:
        if not self.enabled:
            return
        self._generation += 1
        self.timer.start()

    def forget(self) -> None:
        """The form was saved for good (or discarded): nothing left to keep."""
        self.timer.stop()
        self._saved_generation = self._generation

    def flush(self) -> None:
        """Save now if anything changed since the last save (once at a time)."""
        self.timer.stop()
        if not self.dirty or not self.enabled:
            return
        if self._running:
            self.timer.start()  # after the save under way
            return
        generation = self._generation
        payload = self._collect()
        save = self._save
        self._running = True

        def done(at: datetime | None) -> None:
            self._saved_generation = max(self._saved_generation, generation)
            self.saved.emit(at)

        def refused(message: str) -> None:
            self.failed.emit(message)  # kept in the form; tried again after the next edit

        op = self._runner.run(lambda _ctx: save(payload), on_success=done, parent=None,
                              progress_dialog=False, on_user_error=refused)
        op.finished.connect(self._ended)

    def _ended(self) -> None:
        self._running = False
