"""見守りアラート and データ概要 at a laptop's maximised 1366×697 and at 1920×1080 (issue 16):
neither page scrolls inside (their tables may), and no label is cut. The alert list links
each alert to its support case (issue 14): a ケース column for roles with cases, whose cell
opens the case; without case access the page works as before, with no such column.

A real small demo city with a quick model, October's lists, one alert marked 支援開始 and
the case opened from it (services not mocked).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from kernel.school_calendar import SchoolMonth
from tests.conftest import copy_store
from tests.risk.conftest import sign_in as sign_in_service
from tests.ui.conftest import SCREENSHOT_DIR, ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from toda_desktop.risk import RiskService
from ui.background import BackgroundRunner
from ui.cases.page import CasesPage
from ui.main_window import MainWindow
from ui.overview.page import OverviewPage
from ui.risk.alerts_page import CASE_HEADER, CASE_NONE, CASE_OPEN, AlertsPage

pytestmark = pytest.mark.gui

MONTH = SchoolMonth(2025, 10)
SHOTS = SCREENSHOT_DIR / "alerts_fit"  # for a person to look at (not checked)
SHOTS.mkdir(parents=True, exist_ok=True)
Listed = tuple[Path, int, str]  # store, alert id with a case, the case's key


@pytest.fixture(scope="module")
def listed(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Listed:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("alert-cases") / "demo.tdb")
    lead = sign_in_service(path, "project_lead")
    try:
        risk = RiskService(lead.context)
        risk.train(quick=True)
        risk.score(MONTH)
        alert = next(a for a in risk.alerts(MONTH) if a.pupil_id is not None)
        risk.mark_alert(alert.id, "支援開始", "担任と面談を始めた")
        case = lead.cases.case_for_alert(alert.id, create=True)
        assert case is not None
        return path, alert.id, case.key
    finally:
        lead.sign_out()


def _alerts(qtbot: QtBot, window: MainWindow) -> AlertsPage:
    page = window.show_page("見守りアラート")
    assert isinstance(page, AlertsPage)
    qtbot.waitUntil(lambda: page.month_combo.count() > 0 and not page.busy, timeout=WAIT_MS)
    page.select_month(MONTH)
    qtbot.waitUntil(lambda: page.month == MONTH and bool(page.alerts) and not page.busy,
                    timeout=WAIT_MS)
    return page


def cut_labels(page: QWidget) -> list[str]:
    """Visible labels narrower or lower than their text needs."""
    cut = []
    for label in page.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            if label.height() + 1 < label.heightForWidth(label.width()):
                cut.append(label.text())
        elif label.width() + 1 < label.minimumSizeHint().width():
            cut.append(label.text())
    return cut


def assert_fits(window: MainWindow, page: QWidget) -> None:
    assert window.page_scroll.verticalScrollBar().maximum() == 0  # the window's page area
    inner = [a for a in page.findChildren(QScrollArea)
             if a.isVisible() and a.verticalScrollBar().maximum() > 0]
    assert not inner, [a.objectName() or type(a.widget()).__name__ for a in inner]
    assert not cut_labels(page), cut_labels(page)


@pytest.mark.parametrize("size", [(1366, 697), (1366, 768), (1920, 1080)])
def test_the_alert_list_and_the_overview_fit_without_an_inner_scroll(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed,
    size: tuple[int, int],
) -> None:
    window = sign_in(qtbot, make_shell(copy_store(listed[0], tmp_path / "s" / "demo.tdb")),
                     "demo-lead")
    window.resize(*size)
    page = _alerts(qtbot, window)
    assert page.select_alert(listed[1])
    qtbot.wait(150)
    tag = f"{size[0]}x{size[1]}"
    window.grab().save(str(SHOTS / f"alerts_{tag}.png"))
    assert_fits(window, page)
    assert page.detail.isVisible() and page.table.isVisible()
    model, table = page.model, page.table
    bottom = table.visualRect(model.index(1, 0)).bottom()  # two rows at least, in sight
    assert 0 < bottom <= table.viewport().height()

    overview = window.show_page("データ概要")
    assert isinstance(overview, OverviewPage)
    qtbot.waitUntil(lambda: overview.day is not None and not overview.loading, timeout=WAIT_MS)
    for index in range(overview.tabs.count()):
        overview.tabs.setCurrentIndex(index)
        qtbot.wait(100)
        window.grab().save(str(SHOTS / f"overview_{index}_{tag}.png"))
        assert_fits(window, overview)


def test_the_alert_list_links_each_alert_to_its_case_and_opens_it(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed: Listed,
) -> None:
    window = sign_in(qtbot, make_shell(copy_store(listed[0], tmp_path / "s" / "demo.tdb")),
                     "demo-truancy")
    page = _alerts(qtbot, window)
    assert page.select_alert(listed[1])
    column = page.model.headers.index(CASE_HEADER)
    assert not page.table.isColumnHidden(column)
    shown = {a.id: page.model.index(row, column).data()
             for row, a in enumerate(page.model.rows)}
    assert shown[listed[1]] == CASE_OPEN
    assert set(shown.values()) - {CASE_OPEN} <= {CASE_NONE}
    assert page.case_button.isVisible()
    cases = next(p for p in window.page_widgets() if isinstance(p, CasesPage))
    row = next(r for r, a in enumerate(page.model.rows) if a.id == listed[1])
    cell = page.table.visualRect(page.model.index(row, column)).center()
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    with qtbot.waitSignal(cases.opened, timeout=WAIT_MS) as opened:
        qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    assert opened.args[0].key == listed[2]
    assert window.pages.currentWidget() is cases
    assert page.dialog is None  # the double-click opened the case, not 記録する…


def test_without_case_access_the_alert_list_has_no_case_column(
    qtbot: QtBot, listed: Listed, tmp_path: Path, runner: BackgroundRunner,
) -> None:
    """What the shell builds for a role that sees alerts but no case domain."""
    signed = sign_in_service(copy_store(listed[0], tmp_path / "s" / "demo.tdb"), "project_lead")
    try:
        page = AlertsPage(signed.risk, signed.risk.list_months, runner, "wareki",
                          can_open_case=False)
        qtbot.addWidget(page)
        page.show()
        page.activated()
        qtbot.waitUntil(lambda: page.month_combo.count() > 0 and not page.busy,
                        timeout=WAIT_MS)
        page.select_month(MONTH)
        qtbot.waitUntil(lambda: bool(page.alerts) and not page.busy, timeout=WAIT_MS)
        assert CASE_HEADER not in page.model.headers
        assert page.select_alert(listed[1])
        assert not page.case_button.isVisible()
        assert page.case_keys == {}
    finally:
        runner.shutdown()
        signed.sign_out()
