"""The 見守りアラート page holds the service's months as ``SchoolMonth`` values and writes them
in the user's date style (``toda_desktop.formatting.format_month``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from tests.risk.conftest import sign_in
from tests.ui.flows import WAIT_MS
from toda_desktop.formatting import format_month
from ui.background import BackgroundRunner
from ui.risk.alerts_page import AlertsPage

pytestmark = pytest.mark.gui

JANUARY = SchoolMonth(2026, 1)


@pytest.mark.parametrize(("style", "newest", "period"), [
    (DateStyle.SEIREKI, "2026年4月", "2026年1月に使う一覧です（2025年12月末までのデータから作成）"),
    (DateStyle.WAREKI, "令和8年4月",
     "令和8年1月に使う一覧です（令和7年12月末までのデータから作成）"),
])
def test_the_month_choice_holds_school_months_written_in_the_users_date_style(
    qtbot: QtBot, runner: BackgroundRunner, demo_store_path: Path,
    style: DateStyle, newest: str, period: str,
) -> None:
    signed = sign_in(demo_store_path, "truancy_support")
    try:
        months = signed.risk.list_months()
        page = AlertsPage(signed.risk, signed.risk.list_months, runner, style)
        qtbot.addWidget(page)
        page.activated()
        qtbot.waitUntil(lambda: page.month_combo.count() > 0 and not page.busy, timeout=WAIT_MS)
        combo = page.month_combo
        held = [combo.itemData(i) for i in range(combo.count())]
        assert held == list(reversed(months))  # newest first, as the service's values
        assert all(isinstance(m, SchoolMonth) for m in held)
        assert [combo.itemText(i) for i in range(combo.count())] == [
            format_month(m, style) for m in held]
        assert combo.currentText() == newest and page.latest_month == SchoolMonth(2026, 4)

        page.select_month(JANUARY)
        assert page.month == JANUARY and combo.currentData() == JANUARY
        assert period in page.period_label.text()
        qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
        runner.shutdown()
    finally:
        signed.sign_out()
