"""Qt objects caught in reference cycles are destroyed on the GUI thread, never on a worker.

Without :class:`GuiThreadGarbageCollector`, Python's automatic collector runs on whichever
thread crosses a threshold, and a busy worker destroys the GUI's Qt objects there (CI once
segfaulted that way during an import).
"""

from __future__ import annotations

import gc
import threading

import pytest
from PySide6.QtCore import QObject, Qt
from pytestqt.qtbot import QtBot

from ui.background import BackgroundRunner, TaskContext
from ui.garbage import GuiThreadGarbageCollector

pytestmark = pytest.mark.gui


class _Holder:
    """Plain Python object that closes a cycle with a Qt wrapper."""

    obj: QObject | None = None


def _abandon_in_cycle(destroyed_on: list[int]) -> None:
    """A Python-owned QObject that only a reference cycle keeps alive, then dropped."""
    obj = QObject()
    holder = _Holder()
    holder.obj = obj
    obj.holder = holder  # type: ignore[attr-defined]  # the cycle: wrapper <-> holder
    obj.destroyed.connect(lambda *_: destroyed_on.append(threading.get_ident()),
                          Qt.ConnectionType.DirectConnection)


def _churn_cycles(_ctx: TaskContext) -> int:
    """Work on the worker that would cross the collector's thresholds many times over."""
    made = 0
    for _ in range(200_000):
        cyclic: list[object] = []
        cyclic.append(cyclic)
        made += 1
    return made


def test_a_busy_worker_never_collects_the_guis_qt_objects(
    qtbot: QtBot, runner: BackgroundRunner,
    _gui_thread_garbage_collector: GuiThreadGarbageCollector,
) -> None:
    gc.collect()
    assert not gc.isenabled()  # the session runs as the application does
    destroyed_on: list[int] = []
    _abandon_in_cycle(destroyed_on)
    done: list[int] = []
    runner.run(_churn_cycles, on_success=done.append, parent=None, progress_dialog=False)
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    assert destroyed_on in ([], [threading.main_thread().ident])
    # The timer on the GUI thread collects it soon after.
    qtbot.waitUntil(lambda: bool(destroyed_on), timeout=5_000)
    assert destroyed_on == [threading.main_thread().ident]


def test_the_collector_picks_the_generation_python_would() -> None:
    was_enabled = gc.isenabled()
    gc.enable()
    collector = GuiThreadGarbageCollector(interval_ms=60_000)
    try:
        assert not gc.isenabled()
        t0, t1, t2 = gc.get_threshold()
        assert collector.due_generation((t0, 0, 0)) is None
        assert collector.due_generation((t0 + 1, t1, 0)) == 0
        assert collector.due_generation((t0 + 1, t1 + 1, t2)) == 1
        assert collector.due_generation((t0 + 1, t1 + 1, t2 + 1)) == 2
        assert collector.due_generation((0, t1 + 1, t2 + 1)) is None
    finally:
        collector.stop()
        collector.stop()  # idempotent
    assert gc.isenabled()  # given back as it was found
    if not was_enabled:
        gc.disable()
