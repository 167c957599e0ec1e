"""Python's cycle collector runs only on the GUI thread while the application is up.

Qt objects must be destroyed on the thread they live on. Python's automatic collector runs
on whichever thread allocates when a threshold is crossed, which is usually the worker in
the middle of an import or a training run. It would then destroy there any Python-owned Qt
object caught in a reference cycle (a closed dialog's model, a signed-out window's page),
and Qt crashes later in the event loop (CI saw exactly that: a segfault inside ``exec``
with both workers idle). So automatic collection is switched off and a timer on the GUI
thread collects instead, generation by generation, with the thresholds Python itself would
have used (the pattern calibre and Anki use).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

COLLECT_INTERVAL_MS = 1000


class GuiThreadGarbageCollector(QObject):
    """Create on the GUI thread at start-up; :meth:`stop` after the workers have ended."""

    def __init__(self, parent: QObject | None = None,
                 interval_ms: int = COLLECT_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> int | None:
        """Collect the generation Python would have collected by now; returns it (or None)."""
        generation = self.due_generation(gc.get_count())
        if generation is not None:
            gc.collect(generation)
        return generation

    def due_generation(self, counts: tuple[int, int, int]) -> int | None:
        """The oldest generation whose count is over its threshold, as Python decides."""
        generation = None
        for level, (count, threshold) in enumerate(zip(counts, self._thresholds, strict=True)):
            if threshold <= 0 or count <= threshold:
                break
            generation = level
        return generation

    def stop(self) -> None:
        """Collect once more here and give the collector back to Python. Idempotent."""
        if not self._timer.isActive():
            return
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
