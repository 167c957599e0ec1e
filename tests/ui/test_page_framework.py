"""The page framework: one background-task helper per kind of page work, and the shell's
``changed(kinds)`` that brings データ概要, search results and open kartes up to date.

Real services on a real store: a small demo city's files are imported through the wizard
as a user would, then the other pages are looked at without signing out.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from devices import Simulator
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.ui.conftest import ShellFactory, scanner_factory
from tests.ui.flows import WAIT_MS, click, sign_in
from toda_desktop.composition import Application
from toda_desktop.demo import DemoConfig, generate_city, write_interchange_files
from toda_desktop.errors import PermissionDenied
from toda_desktop.store_setup import create_empty_store
from ui.background import BackgroundRunner, TaskContext
from ui.importing import wizard
from ui.importing.history import HistoryPage
from ui.importing.wizard import ImportPage
from ui.karte.page import KartePage
from ui.overview.page import OverviewPage
from ui.page_header import ProgressStrip, StatusLine
from ui.page_task import PageTask
from ui.search.page import SearchPage

pytestmark = pytest.mark.gui

STUDENTS = "students.csv"
SCHOOLS = "schools.csv"
ENROLLMENTS = "enrollments_2025.csv"


@pytest.fixture(scope="module")
def city_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("framework-city")
    write_interchange_files(generate_city(DemoConfig.small(seed=5)), folder, messy=False, seed=5)
    return folder


@pytest.fixture
def lead_store(store_path: Path, sim: Simulator) -> Path:
    """An empty store whose project lead has enrolled the palm (first sign-in)."""
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path, scanner_factory=scanner_factory(sim))
    app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    app.close()
    return store_path


def _import(qtbot: QtBot, page: ImportPage, files: list[Path]) -> None:
    """Choose the files and import each one, as the user clicks through the wizard."""
    page.choose_files = lambda: files
    first = page.step == wizard.START
    click(qtbot, page.start_step.choose_button if first else page.finished_step.again_button)
    for _file in files:
        qtbot.waitUntil(lambda: page.step == wizard.MAPPING and not page.busy, timeout=WAIT_MS)
        click(qtbot, page.mapping_step.to_preview_button)
        qtbot.waitUntil(lambda: page.step == wizard.PREVIEW and not page.busy,
                        timeout=WAIT_MS)
        click(qtbot, page.preview_step.commit_button)
        box = page.confirmation
        assert box is not None
        box.button(QMessageBox.StandardButton.Yes).click()
        qtbot.waitUntil(lambda: page.step == wizard.RESULT and not page.busy, timeout=WAIT_MS)
        click(qtbot, page.result_step.next_button)


def test_overview_shows_new_counts_after_an_import_without_signing_out(
    qtbot: QtBot, make_shell: ShellFactory, lead_store: Path, city_files: Path,
) -> None:
    shell = make_shell(lead_store)
    window = sign_in(qtbot, shell, LEAD_LOGIN, LEAD_PASSWORD)
    overview = window.show_page("データ概要")
    assert isinstance(overview, OverviewPage)
    qtbot.waitUntil(lambda: overview.loaded and not overview.loading, timeout=WAIT_MS)
    assert overview.overview is not None and overview.overview.pupil_count == 0
    assert overview.pupil_count_label.text() == "0 人"

    page = window.show_page("取込")
    assert isinstance(page, ImportPage)
    changes: list[frozenset[str]] = []
    shell.changed.connect(changes.append)
    _import(qtbot, page, [city_files / STUDENTS, city_files / SCHOOLS,
                          city_files / ENROLLMENTS])
    assert changes == [frozenset({e.kind_name}) for e in page.entries]  # one per import

    # Shown again: the counts are the new ones (no 最新の情報に更新, no sign-out).
    window.show_page("データ概要")
    qtbot.waitUntil(lambda: not overview.loading and overview.overview is not None
                    and overview.overview.pupil_count > 0, timeout=WAIT_MS)
    pupils = overview.overview.pupil_count
    assert overview.pupil_count_label.text() == f"{pupils:,} 人"
    assert overview.model.rowCount() > 1


def test_search_results_and_the_open_karte_follow_a_rollback(
    qtbot: QtBot, make_shell: ShellFactory, lead_store: Path, city_files: Path,
) -> None:
    shell = make_shell(lead_store)
    window = sign_in(qtbot, shell, LEAD_LOGIN, LEAD_PASSWORD)
    page = window.show_page("取込")
    assert isinstance(page, ImportPage)
    _import(qtbot, page, [city_files / STUDENTS, city_files / SCHOOLS,
                          city_files / ENROLLMENTS])

    search = window.show_page("児童生徒検索")
    assert isinstance(search, SearchPage)
    qtbot.waitUntil(lambda: search.year_combo.count() > 1 and not search.busy,
                    timeout=WAIT_MS)
    search.year_combo.setCurrentIndex(1)  # everyone enrolled that year, as the user picks
    search.year_combo.activated.emit(1)
    qtbot.waitUntil(lambda: search.results is not None and not search.busy, timeout=WAIT_MS)
    assert search.results is not None and search.results.hits

    # A karte is open in front.
    karte = window.show_page("児童生徒カルテ")
    assert isinstance(karte, KartePage)
    pupil_id = search.results.hits[0].pupil_id
    with qtbot.waitSignal(karte.opened, timeout=WAIT_MS):
        karte.open_pupil(pupil_id)
    before = karte.current_view()

    # Take the enrollments back: the same search, run again, finds nobody enrolled, and
    # the karte in front is read again.
    history = window.show_page("取込履歴")
    assert isinstance(history, HistoryPage)
    qtbot.waitUntil(lambda: history.loaded and not history.busy, timeout=WAIT_MS)
    line = next(line for line in history.model.lines if line.source_name == ENROLLMENTS)
    changes: list[frozenset[str]] = []
    shell.changed.connect(changes.append)
    with qtbot.waitSignal(karte.opened, timeout=WAIT_MS):
        history.rollback(line)
    assert len(changes) == 1 and line.kind in changes[0]
    after = karte.current_view()
    assert after is not None and after is not before and after.pupil_id == pupil_id
    window.show_page("児童生徒検索")
    qtbot.waitUntil(lambda: not search.busy and search.results is not None
                    and not search.results.hits, timeout=WAIT_MS)
    assert search.count_label.text() == "0件"


# -- the task helper on its own ------------------------------------------------------------


def _gate() -> tuple[threading.Event, threading.Event]:
    return threading.Event(), threading.Event()


def test_a_write_that_finished_after_cancel_is_reported_as_done(
    qtbot: QtBot, runner: BackgroundRunner,
) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    started, release = _gate()
    write = PageTask(page, runner, "書き込んでいます…", cancellable=True, writes=True)
    done: list[str] = []
    cancelled: list[bool] = []

    def task(_ctx: TaskContext) -> str:
        started.set()
        release.wait(10)
        return "written"  # too far along to stop: the change is made

    write.run(task, done.append, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(10)
    write.cancel()
    release.set()
    qtbot.waitUntil(lambda: not write.running, timeout=WAIT_MS)
    assert done == ["written"] and not cancelled


def test_a_read_that_finished_after_cancel_is_discarded(
    qtbot: QtBot, runner: BackgroundRunner,
) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    strip = ProgressStrip(page)
    started, release = _gate()
    read = PageTask(page, runner, "読んでいます…", strip=strip)
    done: list[str] = []
    cancelled: list[bool] = []

    def task(ctx: TaskContext) -> str:
        ctx.progress(0.5)
        started.set()
        release.wait(10)
        return "read"

    read.run(task, done.append, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(10)
    qtbot.waitUntil(lambda: strip.bar.value() == 500, timeout=WAIT_MS)
    click_cancel = strip.cancel_button
    page.show()
    click(qtbot, click_cancel)
    assert click_cancel.text() == "中止しています…"
    release.set()
    qtbot.waitUntil(lambda: not read.running, timeout=WAIT_MS)
    assert cancelled == [True] and not done
    assert strip.isHidden()


def test_one_run_at_a_time_with_busy_widgets_and_inline_errors(
    qtbot: QtBot, runner: BackgroundRunner,
) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    button, status = QLabel("更新", page), StatusLine()
    started, release = _gate()
    load = PageTask(page, runner, "読み込んでいます…", status=status, busy=[button])

    def denied(_ctx: TaskContext) -> None:
        started.set()
        release.wait(10)
        raise PermissionDenied("この操作は許可されていません。")

    assert load.run(denied, lambda _r: None) is not None
    assert started.wait(10)
    assert not button.isEnabled() and load.running
    assert load.run(denied, lambda _r: None) is None  # still running: not started again
    release.set()
    qtbot.waitUntil(lambda: not load.running, timeout=WAIT_MS)
    assert button.isEnabled()
    assert status.text() == "この操作は許可されていません。" and not status.isHidden()
