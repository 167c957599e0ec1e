"""記録を訂正… on 見守りアラート (issue 16): a wrong mark is withdrawn with a reason and the
right one recorded; the history on the screen keeps the wrong one, marked 取り消し."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from kernel.school_calendar import SchoolMonth
from tests.conftest import copy_store
from tests.risk.conftest import sign_in
from tests.ui.flows import WAIT_MS, click
from tests.ui.risk_windows import RiskWindows
from toda_desktop.risk import RiskService
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.risk.alerts_page import AlertsPage
from ui.risk.mark_correction import CorrectionDialog
from ui.risk.pages import ALERTS_TITLE

pytestmark = [pytest.mark.gui, pytest.mark.slow]

OCTOBER = SchoolMonth(2025, 10)


@pytest.fixture(scope="module")
def marked_store(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, int]:
    """A quick model, October's lists, and one alert marked 対象外 by mistake."""
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("correct") / "demo.tdb")
    lead = sign_in(path, "project_lead")
    try:
        risk = RiskService(lead.context)
        risk.train(quick=True)
        alert = risk.score(OCTOBER).alerts[0]
        risk.mark_alert(alert.id, "対象外", "療養中")
    finally:
        lead.sign_out()
    return path, alert.id


@pytest.fixture
def windows(app_font: QFont, runner: BackgroundRunner, reporter: ErrorReporter,
            tmp_path: Path, marked_store: tuple[Path, int]) -> Iterator[RiskWindows]:
    opened = RiskWindows(runner, tmp_path, marked_store[0], (1366, 697))
    yield opened
    opened.close(reporter)


def test_a_wrong_mark_is_corrected_on_the_screen_and_stays_in_the_history(
    qtbot: QtBot, windows: RiskWindows, marked_store: tuple[Path, int],
) -> None:
    window, _signed = windows("project_lead")
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page(ALERTS_TITLE)
    assert isinstance(page, AlertsPage)
    qtbot.waitUntil(lambda: bool(page.alerts) and not page.busy, timeout=WAIT_MS)
    page.select_month(OCTOBER)
    qtbot.waitUntil(lambda: not page.busy and page.month == OCTOBER and bool(page.alerts)
                    and page.alerts[0].month == OCTOBER, timeout=WAIT_MS)
    alert_id = marked_store[1]
    assert page.select_alert(alert_id)
    qtbot.waitUntil(lambda: len(page.history) == 1, timeout=WAIT_MS)
    assert page.correct_button.isEnabled()
    click(qtbot, page.correct_button)
    dialog = page.dialog
    assert isinstance(dialog, CorrectionDialog) and "対象外" in (dialog.intro_label.text()
                                                                 if dialog.intro_label else "")
    click(qtbot, dialog.ok_button)  # no reason yet: refused in the dialog
    assert "理由" in dialog.error_label.text() and dialog.isVisible()
    dialog.reason_edit.setPlainText("別の児童生徒の記録を誤って付けたため")
    dialog.choose("見守り")
    dialog.grab().save("/tmp/toda-ui-screenshots/alert_mark_correction_dialog.png")
    with qtbot.waitSignal(page.marked, timeout=WAIT_MS):
        click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert page.select_alert(alert_id)
    qtbot.waitUntil(lambda: len(page.history) == 2, timeout=WAIT_MS)
    statuses = [page.history_model.cell(r, 1) for r in range(page.history_model.rowCount())]
    assert statuses == ["見守り", "対象外（取り消し）"]  # newest first; the wrong one kept
    assert "誤って" in page.history_model.cell(1, 3)
    assert page.selected_alert() is not None and page.selected_alert().status == "見守り"
    window.grab().save("/tmp/toda-ui-screenshots/alert_mark_corrected_697.png")
