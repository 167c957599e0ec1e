"""The review, karte and risk pages on the page framework: a write that finished although
中止 came too late is reported as done, and lists made or marked on 見守りアラート (or a
model trained) reach the other pages through the shell's ``changed``.

Real services on a real demo city. To press 中止 exactly when it is too late, the risk and
review services are the real ones with a gate after their write (the training, the mark or
the decision has been stored; the task has not returned yet).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from devices import Simulator
from kernel.school_calendar import SchoolMonth
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N, copy_store
from tests.risk.conftest import sign_in as sign_in_service
from tests.ui.conftest import ShellFactory, scanner_factory
from tests.ui.flows import WAIT_MS, click, sign_in
from toda_desktop.composition import Application, SignedIn
from toda_desktop.context import ServiceContext
from toda_desktop.demo import DemoConfig, generate_city, write_interchange_files
from toda_desktop.review.service import ReviewService
from toda_desktop.risk import RiskService, TrainResult
from toda_desktop.store_setup import create_empty_store
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.karte.page import KartePage
from ui.karte.risk_section import NO_LIST_YET
from ui.page import ALERT_LISTS, RISK_MODEL
from ui.review.page import ReviewPage
from ui.risk.alerts_page import AlertsPage, MarkDialog
from ui.risk.model_page import RiskModelPage
from ui.search.page import SearchPage

pytestmark = pytest.mark.gui

MONTH = SchoolMonth(2026, 4)  # the latest month of the demo city: the one 見守りアラート opens with


class HeldRisk(RiskService):
    """The real risk service, held after a training or a mark is stored until released."""

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context)
        self.stored = threading.Event()
        self.release = threading.Event()

    def _hold(self) -> None:
        self.stored.set()
        assert self.release.wait(30)

    def train(self, **options: Any) -> TrainResult:
        result = super().train(**options)
        self._hold()
        return result

    def mark_alert(self, alert_id: int, status: str, note: str = "") -> None:
        super().mark_alert(alert_id, status, note)
        self._hold()


@pytest.fixture(scope="module")
def modelled_store(
    _demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The small demo city with a quickly trained model and no lists yet."""
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("page-tasks") / "demo.tdb")
    lead = sign_in_service(path, "project_lead")
    try:
        RiskService(lead.context).train(quick=True)
    finally:
        lead.sign_out()
    return path


@pytest.fixture
def lead(modelled_store: Path, tmp_path: Path, runner: BackgroundRunner,
         reporter: ErrorReporter) -> Iterator[SignedIn]:
    signed = sign_in_service(copy_store(modelled_store, tmp_path / "s" / "demo.tdb"),
                             "project_lead")
    yield signed
    runner.shutdown()
    signed.sign_out()
    assert not reporter.report_count, "an unexpected error was reported"


@pytest.mark.slow
def test_a_training_that_finished_after_a_late_cancel_is_reported_as_the_new_model(
    qtbot: QtBot, app_font: QFont, lead: SignedIn, runner: BackgroundRunner,
) -> None:
    risk = HeldRisk(lead.context)
    page = RiskModelPage(risk, runner, "wareki")
    qtbot.addWidget(page)
    page.show()
    page.activated()
    qtbot.waitUntil(lambda: page.info is not None and not page.busy, timeout=WAIT_MS)
    before = page.info
    assert before is not None
    changes: list[frozenset[str]] = []
    page.store_changed.connect(changes.append)

    with qtbot.waitSignal(page.trained, timeout=60_000) as trained:
        page.train(quick=True)
        assert risk.stored.wait(60)  # the new model is in the store
        click(qtbot, page.progress.cancel_button)  # 中止, too late to stop it
        assert page.progress.cancel_button.text() == "中止しています…"
        risk.release.set()
    new_id = trained.args[0]
    assert new_id != before.id
    text = page.status_line.text()
    assert f"新しいモデル（番号 {new_id}）を学習しました" in text and "中止" not in text
    assert changes == [frozenset({RISK_MODEL})]
    # The page then shows the model the lists now use (not the one before).
    qtbot.waitUntil(lambda: page.info is not None and page.info.id == new_id
                    and not page.busy, timeout=WAIT_MS)
    assert lead.risk.model_info().id == new_id
    assert page.train_button.isEnabled() and not page.progress.isVisible()


def test_an_alert_mark_stored_before_a_sign_out_cancel_is_reported_as_recorded(
    qtbot: QtBot, app_font: QFont, lead: SignedIn, runner: BackgroundRunner,
) -> None:
    risk = HeldRisk(lead.context)
    page = AlertsPage(risk, risk.list_months, runner, "wareki")
    qtbot.addWidget(page)
    page.resize(1360, 900)
    page.show()
    changes: list[frozenset[str]] = []
    page.store_changed.connect(changes.append)
    page.activated()  # the latest month's lists are made on first opening
    qtbot.waitUntil(lambda: bool(page.alerts) and not page.busy, timeout=60_000)
    assert page.month == MONTH and changes == [frozenset({ALERT_LISTS})]
    alert = page.model.rows[0]
    assert page.select_alert(alert.id)

    dialog = page.ask_mark()
    assert isinstance(dialog, MarkDialog)
    qtbot.waitExposed(dialog)
    dialog.choose("見守り")
    with qtbot.waitSignal(page.marked, timeout=WAIT_MS):
        click(qtbot, dialog.ok_button)
        assert risk.stored.wait(30)  # the mark is in the store
        runner.cancel_all()  # what signing out does first
        risk.release.set()
    assert not dialog.isVisible()
    assert "「見守り」を記録しました" in page.status_line.text()
    assert changes[-1] == frozenset({ALERT_LISTS})
    qtbot.waitUntil(lambda: not page.busy and bool(page.history), timeout=WAIT_MS)
    assert [h.status for h in page.history] == ["見守り"]


def test_lists_made_and_marks_reach_the_open_karte_through_the_shell(
    qtbot: QtBot, make_shell: ShellFactory, modelled_store: Path, tmp_path: Path,
) -> None:
    shell = make_shell(copy_store(modelled_store, tmp_path / "k" / "demo.tdb"))
    window = sign_in(qtbot, shell, "demo-lead")
    window.resize(1360, 900)
    changes: list[frozenset[str]] = []
    shell.changed.connect(changes.append)

    # A karte open before any list exists says so.
    karte = window.show_page("児童生徒カルテ")
    assert isinstance(karte, KartePage)
    with qtbot.waitSignal(karte.opened, timeout=WAIT_MS):
        karte.open_pupil(1)
    view = karte.current_view()
    assert view is not None and view.risk_section is not None
    section = view.risk_section
    qtbot.waitUntil(lambda: section.facts is not None, timeout=WAIT_MS)
    assert NO_LIST_YET in section.texts()

    # 見守りアラート makes the month's lists: the shell says so to every page.
    alerts = window.show_page("見守りアラート")
    assert isinstance(alerts, AlertsPage)
    qtbot.waitUntil(lambda: bool(alerts.alerts) and not alerts.busy, timeout=60_000)
    assert changes == [frozenset({ALERT_LISTS})]
    # The karte, out of sight, reads its section only when shown again (each reading is
    # logged), and the search keeps its results (alert lists are not what it finds).
    search = window.findChild(SearchPage)
    assert search is not None and not search._stale
    assert section.stale and not section.load_task.running
    window.show_page("児童生徒カルテ")
    qtbot.waitUntil(lambda: not section.stale and not section.load_task.running
                    and section.facts is not None
                    and section.facts.risk.list_month is not None, timeout=WAIT_MS)
    assert NO_LIST_YET not in section.texts()

    # A listed pupil's karte, then a mark on 見守りアラート: the karte shows the staff's mark.
    alert = alerts.alerts[0]
    assert alert.pupil_id is not None
    with qtbot.waitSignal(karte.opened, timeout=WAIT_MS):
        karte.open_pupil(alert.pupil_id)
    listed = karte.current_view()
    assert listed is not None and listed.risk_section is not None
    listed_section = listed.risk_section
    qtbot.waitUntil(lambda: listed_section.facts is not None, timeout=WAIT_MS)
    assert "職員の記録: 未記録" in listed_section.texts()
    window.show_page("見守りアラート")  # (reads its month again when shown)
    qtbot.waitUntil(lambda: not alerts.busy, timeout=WAIT_MS)
    assert alerts.select_alert(alert.id)
    dialog = alerts.ask_mark()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.choose("支援開始")
    with qtbot.waitSignal(alerts.marked, timeout=WAIT_MS):
        click(qtbot, dialog.ok_button)
    assert changes[-1] == frozenset({ALERT_LISTS})
    window.show_page("児童生徒カルテ")
    qtbot.waitUntil(lambda: "職員の記録: 支援開始" in listed_section.texts(), timeout=WAIT_MS)
    assert karte.current_view() is listed  # only the section was read again, not the karte
    # The other karte (another tab) reads its section when its tab is shown.
    assert section.stale
    karte.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: not section.stale and not section.load_task.running,
                    timeout=WAIT_MS)


@pytest.mark.slow
def test_a_model_trained_lets_the_alerts_page_make_the_list_it_could_not(
    qtbot: QtBot, make_shell: ShellFactory, demo_store_path: Path,
) -> None:
    shell = make_shell(demo_store_path)  # no model yet
    window = sign_in(qtbot, shell, "demo-lead")
    alerts = window.show_page("見守りアラート")
    assert isinstance(alerts, AlertsPage)
    qtbot.waitUntil(lambda: alerts.month is not None and not alerts.busy, timeout=WAIT_MS)
    assert "まだ予測モデルがないため" in alerts.empty_label.text() and not alerts.alerts

    model = window.show_page("予測モデル")
    assert isinstance(model, RiskModelPage)
    qtbot.waitUntil(lambda: not model.busy, timeout=WAIT_MS)
    changes: list[frozenset[str]] = []
    shell.changed.connect(changes.append)
    with qtbot.waitSignal(model.shown, timeout=60_000):
        model.train(quick=True)
    assert frozenset({RISK_MODEL}) in changes

    # Shown again, the page makes the latest month's lists as on its first opening.
    window.show_page("見守りアラート")
    qtbot.waitUntil(lambda: bool(alerts.alerts) and not alerts.busy, timeout=60_000)
    assert alerts.month == MONTH and alerts.right.currentIndex() == 0
    assert changes[-1] == frozenset({ALERT_LISTS})


class HeldReview(ReviewService):
    """The real review service, held after a decision is stored until released."""

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context)
        self.stored = threading.Event()
        self.release = threading.Event()

    def decide(self, item_id: int, pupil_id: int | None) -> None:
        super().decide(item_id, pupil_id)
        self.stored.set()
        assert self.release.wait(30)


@pytest.fixture
def queue_store(store_path: Path, sim: Simulator, tmp_path: Path) -> Path:
    """A test store after a messy small city's students, schools, enrollments and one
    attendance file were imported (the attendance leaves rows to review)."""
    folder = tmp_path / "messy"
    folder.mkdir()
    write_interchange_files(generate_city(DemoConfig.small(seed=11)), folder, messy=True,
                            seed=11)
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path, scanner_factory=scanner_factory(sim))
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    for name in ("students.csv", "schools.csv", "enrollments_2025.csv",
                 "attendance_monthly_2025.csv"):
        importer = signed.importing
        importer.commit(importer.preview(importer.inspect(folder / name)))
    assert signed.review.open_count() > 0
    app.close()
    return store_path


def test_a_review_decision_stored_before_a_sign_out_cancel_is_shown_as_decided(
    qtbot: QtBot, app_font: QFont, queue_store: Path, sim: Simulator,
    runner: BackgroundRunner, reporter: ErrorReporter,
) -> None:
    app = Application(queue_store, scanner_factory=scanner_factory(sim))
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    try:
        review = HeldReview(signed.context)
        page = ReviewPage(review, lambda _kind: {}, runner)
        qtbot.addWidget(page)
        page.show()
        page.activated()
        qtbot.waitUntil(lambda: page.loaded and not page.busy, timeout=WAIT_MS)
        count = page.items_model.rowCount()
        line = page.current_line()
        page.select_candidate(0)  # (on a tie the page chooses no candidate itself)
        assert line is not None and page.selected_candidate() is not None
        recorded: list[str] = []
        page.decision_recorded.connect(recorded.append)

        page.confirm_selected()
        assert not page.confirm_button.isEnabled()
        assert review.stored.wait(30)  # the row is taken in
        runner.cancel_all()  # what signing out does first
        review.release.set()
        qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
        assert recorded == [line.item.kind]  # the shell's ``changed`` hears of it
        assert page.items_model.rowCount() == count - 1
        assert "結び付けました" in page.status_label.text()
        assert [item for item, _pupil in page.decided] == [line.item.id]
        assert signed.review.open_count() == count - 1
    finally:
        runner.shutdown()
        signed.sign_out()
        app.close()
    assert not reporter.report_count


def test_after_a_change_each_open_karte_is_read_again_when_its_tab_is_shown(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    karte = window.show_page("児童生徒カルテ")
    assert isinstance(karte, KartePage)
    for pupil_id in (1, 2):
        with qtbot.waitSignal(karte.opened, timeout=WAIT_MS):
            karte.open_pupil(pupil_id)
    back, front = karte.views()
    assert karte.current_view() is front

    # An import or a rollback (the shell's ``changed`` with a dataset): the karte in front
    # is read again at once; the one behind only when its tab is shown.
    with qtbot.waitSignal(karte.opened, timeout=WAIT_MS) as opened:
        shell.changed.emit(frozenset({"attendance_monthly"}))
    assert opened.args[0].pupil_id == 2 and opened.args[0] is karte.current_view()
    assert back.stale and karte.views()[0] is back
    with qtbot.waitSignal(karte.opened, timeout=WAIT_MS) as opened:
        karte.tabs.setCurrentWidget(back)
    assert opened.args[0].pupil_id == 1 and not opened.args[0].stale
    assert [v.pupil_id for v in karte.views()] == [1, 2] and back not in karte.views()
