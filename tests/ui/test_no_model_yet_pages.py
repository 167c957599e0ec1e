"""Before the first training both risk pages say what to do, told apart by the service's
``NoModelYet`` (not by the wording of its message), and neither reaches the error dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from tests.conftest import copy_store
from tests.risk.conftest import sign_in
from tests.ui.flows import WAIT_MS, click
from toda_desktop.composition import SignedIn
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.main_window import MainWindow
from ui.risk.alerts_page import NO_MODEL_TEXT as ALERTS_NO_MODEL
from ui.risk.alerts_page import AlertsPage
from ui.risk.model_page import NO_MODEL_TEXT as MODEL_NO_MODEL
from ui.risk.model_page import RiskModelPage
from ui.risk.pages import ALERTS_TITLE, MODEL_TITLE, add_risk_pages

pytestmark = pytest.mark.gui


@pytest.fixture
def window(
    app_font: QFont, qtbot: QtBot, runner: BackgroundRunner, reporter: ErrorReporter,
    _demo_store_template: Path, tmp_path: Path,
) -> Iterator[MainWindow]:
    """The project lead's risk pages on a demo city where no model was trained yet."""
    path = copy_store(_demo_store_template, tmp_path / "demo.tdb")
    signed: SignedIn = sign_in(path, "project_lead")
    shown = MainWindow(signed.user, signed.app.header)
    add_risk_pages(shown, signed, runner, "wareki", open_karte=lambda _pupil: None)
    shown.resize(1360, 900)
    shown.show()
    qtbot.waitExposed(shown)
    yield shown
    runner.shutdown()
    shown.close_from_shell()
    shown.deleteLater()
    signed.sign_out()
    assert not reporter.report_count, "an unexpected error was reported"


def test_the_model_page_without_a_model_says_how_to_train_one(
    qtbot: QtBot, window: MainWindow
) -> None:
    page = window.show_page(MODEL_TITLE)
    assert isinstance(page, RiskModelPage)
    qtbot.waitUntil(lambda: MODEL_NO_MODEL in page.status_line.text(), timeout=WAIT_MS)
    assert page.info is None and page.model_label.text() == "学習済みのモデルはまだありません"
    assert page.train_button.isEnabled() and not page.evaluate_button.isEnabled()


def test_making_lists_without_a_model_says_whom_to_ask(
    qtbot: QtBot, window: MainWindow
) -> None:
    page = window.show_page(ALERTS_TITLE)
    assert isinstance(page, AlertsPage)
    # The page makes the newest month's lists on opening: without a model it says so.
    qtbot.waitUntil(lambda: page.empty_label.text() == ALERTS_NO_MODEL and not page.busy,
                    timeout=WAIT_MS)
    assert not page.alerts and not page.create_button.isVisible()
    page.select_month(page.month_combo.itemData(1))  # an earlier month: not made yet
    qtbot.waitUntil(lambda: "まだ作成されていません" in page.empty_label.text()
                    and not page.busy, timeout=WAIT_MS)
    click(qtbot, page.create_button)
    qtbot.waitUntil(lambda: page.empty_label.text() == ALERTS_NO_MODEL, timeout=WAIT_MS)
