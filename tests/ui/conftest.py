"""Qt fixtures for the window tests: offscreen platform, bundled font, one runner per test.

Services are never mocked: windows are driven against a real demo store
(``demo_store_path`` from the shared ``tests/conftest.py``, which also fails a test that
leaves a thread running).
"""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from resources import resource_path
from toda_desktop.composition import Application, open_application
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.fonts import install_fonts
from ui.garbage import GuiThreadGarbageCollector
from ui.shell import Shell

SCREENSHOT_DIR = Path("/tmp/toda-ui-screenshots")


@pytest.fixture(scope="session", autouse=True)
def _gui_thread_garbage_collector(qapp: QApplication) -> Iterator[GuiThreadGarbageCollector]:
    """As in the application: Python collects cycles only on the GUI thread, never on a
    worker (where it would destroy Qt objects caught in a cycle, and Qt crashes)."""
    collector = GuiThreadGarbageCollector(qapp)
    yield collector
    collector.stop()


@pytest.fixture(autouse=True)
def _collect_qt_garbage() -> Iterator[None]:
    """Qt objects left in reference cycles by a test (a runner, a reporter, a shell) are
    freed here, on the GUI thread, before the next test starts its workers."""
    yield
    gc.collect()


@pytest.fixture(scope="session")
def app_font(qapp: QApplication) -> QFont:
    """The bundled font installed as it is at start-up (once per session)."""
    return install_fonts(qapp, resource_path("fonts", "ipaexg.ttf"))


@pytest.fixture
def reporter(qapp: QApplication, tmp_path: Path) -> Iterator[ErrorReporter]:
    rep = ErrorReporter(tmp_path / "logs" / "errors.log")
    yield rep
    for box in rep.open_dialogs:
        box.close()


@pytest.fixture
def runner(reporter: ErrorReporter) -> Iterator[BackgroundRunner]:
    run = BackgroundRunner(reporter)
    yield run
    run.shutdown()


@pytest.fixture
def analysis_runner(reporter: ErrorReporter) -> Iterator[BackgroundRunner]:
    """The second worker the application gives training and evaluation."""
    run = BackgroundRunner(reporter)
    yield run
    run.shutdown()


@pytest.fixture
def app_ctx(demo_store_path: Path) -> Iterator[Application]:
    ctx = open_application(demo_store_path)
    yield ctx
    ctx.close()


@pytest.fixture
def shell(
    app_font: QFont, app_ctx: Application, runner: BackgroundRunner, qapp: QApplication
) -> Iterator[Shell]:
    quits: list[bool] = []
    sh = Shell(app_ctx, runner, "wareki", on_quit=lambda: quits.append(True), activity_source=qapp)
    yield sh
    sh.shutdown()


class WallClock:
    """The services' clock (session, throttle, audit times), moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def wall_clock() -> WallClock:
    return WallClock()


@pytest.fixture
def sim() -> Simulator:
    """A scripted simulator whose waits take no time (its clock is fake)."""
    return Simulator(SimulatorConfig(seed=3, timeout_s=5), clock=FakeClock())


@pytest.fixture
def slow_sim() -> Simulator:
    """A scripted simulator on the real clock: ``SLEEP`` and ``STALL`` really wait, so a
    test can look at the screen mid-operation and press 中止."""
    return Simulator(SimulatorConfig(seed=3, timeout_s=30))


def scanner_factory(scanner: Simulator) -> Callable[[str], Scanner]:
    def factory(store_kind: str) -> Scanner:
        require_real_scanner_for(store_kind, scanner)
        return scanner

    return factory


ShellFactory = Callable[..., Shell]


@pytest.fixture
def make_shell(
    app_font: QFont,
    runner: BackgroundRunner,
    analysis_runner: BackgroundRunner,
    qapp: QApplication,
    demo_store_path: Path,
    wall_clock: WallClock,
    sim: Simulator,
) -> Iterator[ShellFactory]:
    """A shell over a demo store (or ``path``) with a scripted scanner and the wall clock;
    other keyword arguments go to ``open_application`` (e.g. ``idle_limit``)."""
    shells: list[Shell] = []

    def make(
        path: Path | None = None, scanner: Simulator | None = None, **options: Any
    ) -> Shell:
        options.setdefault("scanner_factory", scanner_factory(scanner or sim))
        options.setdefault("clock", wall_clock)
        ctx = open_application(path or demo_store_path, **options)
        sh = Shell(ctx, runner, "wareki", on_quit=lambda: None, activity_source=qapp,
                   analysis_runner=analysis_runner)
        shells.append(sh)
        return sh

    yield make
    for sh in shells:
        sh.shutdown()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR

