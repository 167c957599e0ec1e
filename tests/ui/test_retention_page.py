"""保存期間の管理: the lead makes a plan, approves it and runs it from the page, off the GUI
thread, with progress and 中止; the page shows counts only."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from kernel.date_style import DateStyle
from tests.retention.helpers import FIVE_YEARS_ON, sign_in
from tests.ui.conftest import SCREENSHOT_DIR
from tests.ui.flows import WAIT_MS
from toda_desktop.composition import SignedIn
from ui.background import BackgroundRunner
from ui.retention.page import RetentionPage, page_calls

pytestmark = pytest.mark.gui


def _page(signed: SignedIn, runner: BackgroundRunner, qtbot: QtBot) -> RetentionPage:
    page = RetentionPage(*page_calls(signed.retention, signed.may), runner,
                         DateStyle.WAREKI)
    qtbot.addWidget(page)
    page.resize(1280, 820)
    page.show()
    page.activated()
    qtbot.waitUntil(lambda: page.loaded and not page.busy, timeout=WAIT_MS)
    return page


def _yes(page: RetentionPage) -> None:
    box = page.confirmation
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Yes).click()


def _names(signed: SignedIn) -> list[str]:
    return [str(r[0]) for r in signed.store.db.call(
        lambda c: c.execute("SELECT name FROM ds_students").fetchall())]


def test_the_lead_plans_approves_and_runs_a_purge(
    qtbot: QtBot, runner: BackgroundRunner, demo_store_path: Path, app_font: QFont
) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        page = _page(lead, runner, qtbot)
        assert page.classes_model.rowCount() == len(lead.registry.retention_classes)
        assert not page.approve_button.isEnabled() and not page.run_button.isEnabled()
        page.plan_button.click()
        qtbot.waitUntil(lambda: page.plan is not None and not page.busy, timeout=WAIT_MS)
        assert page.plan is not None and page.plan.records > 0
        shown = {page.plan_model.cells(line)[0] for line in page.plan_model.lines}
        assert "出欠状況（月次）" in shown
        assert not set(_names(lead)) & {str(c) for line in page.plan_model.lines
                                        for c in page.plan_model.cells(line)}
        assert "令和" in page.plan_model.cells(page.plan_model.lines[0])[2]
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.grab().save(str(SCREENSHOT_DIR / "retention_plan.png"))

        page.approve_button.click()
        _yes(page)
        qtbot.waitUntil(lambda: page.run_button.isEnabled(), timeout=WAIT_MS)
        page.run_button.click()
        _yes(page)
        qtbot.waitUntil(lambda: page.plan is not None and page.plan.status == "done"
                        and not page.busy, timeout=WAIT_MS * 4)
        assert "削除証明を監査ログに記録しました" in page.status_label.text()
        assert all(line.done == line.records for line in page.plan.lines)
        page.grab().save(str(SCREENSHOT_DIR / "retention_done.png"))
        # Who made, approved and ran the plan, by the name staff know (the ID beside it).
        summary = page.summary.text()
        assert all(f"{step} デモ 総括（demo-lead）" in summary for step in ("作成", "承認", "実行"))
    finally:
        lead.sign_out()


def test_cancel_before_the_records_go_changes_nothing(
    qtbot: QtBot, runner: BackgroundRunner, demo_store_path: Path
) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        plan = lead.retention.approve(lead.retention.make_plan().id)
        page = _page(lead, runner, qtbot)
        before = lead.store.db.call(lambda c: c.execute(
            "SELECT count(*) FROM ds_attendance_monthly").fetchone()[0])
        assert page.run_button.isEnabled()
        page.run_button.click()
        _yes(page)
        page.strip.cancel_button.click()  # before the worker's first progress check
        qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS * 4)
        after = lead.store.db.call(lambda c: c.execute(
            "SELECT count(*) FROM ds_attendance_monthly").fetchone()[0])
        if page.plan is not None and page.plan.status == "done":
            pytest.skip("the run finished before 中止 reached it")  # pragma: no cover
        assert after == before and lead.retention.plan(plan.id).status == "approved"
        assert "中止しました" in page.status_label.text()
    finally:
        lead.sign_out()


def test_a_role_with_only_the_approval_sees_no_plan_or_run_buttons(
    qtbot: QtBot, runner: BackgroundRunner, demo_store_path: Path
) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        load, make, approve, run = page_calls(lead.retention, lambda f: f == "retention_approve")
        assert make is None and run is None and approve is not None
        page = RetentionPage(load, make, approve, run, runner, DateStyle.SEIREKI)
        qtbot.addWidget(page)
        assert page.plan_button.isHidden() and page.run_button.isHidden()
        assert not page.approve_button.isHidden()
    finally:
        lead.sign_out()
