"""Qt fixtures for the window tests: offscreen platform, bundled font, one runner per test.

Services are never mocked: windows are driven against a real demo store
(``demo_store_path`` from the shared ``tests/conftest.py``, which also fails a test that
leaves a thread running).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from resources import resource_path
from toda_desktop.composition import Application, open_application
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.fonts import install_fonts
from ui.shell import Shell

SCREENSHOT_DIR = Path("/tmp/toda-ui-screenshots")


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
def app_ctx(demo_store_path: Path) -> Iterator[Application]:
    ctx = open_application(demo_store_path)
    yield ctx
    ctx.close()


@pytest.fixture
def shell(app_font: QFont, app_ctx: Application, runner: BackgroundRunner) -> Iterator[Shell]:
    quits: list[bool] = []
    sh = Shell(app_ctx, runner, "wareki", on_quit=lambda: quits.append(True))
    yield sh
    sh.shutdown()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
