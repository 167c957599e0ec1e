"""A page whose work fails unexpectedly says so on the page, in Japanese, with what to do
and an error id, and neither the screen nor the log holds the exception's text (which may
quote pupil data). One path for every page: :class:`ui.page_task.PageTask`.

Real failures, not mocked results: the school karte's cross-check cannot import its library
(only the import is made to fail), and データ概要's store is closed under it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.conftest import TEST_SCRYPT_N, copy_store
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, click, sign_in, visible_texts
from toda_desktop.demo import DemoConfig
from toda_desktop.store_setup import create_demo_store
from ui.error_reporting import ErrorReporter
from ui.overview.page import OverviewPage
from ui.page_failure import READ_HEADLINE, RETRY_TEXT
from ui.school_karte.page import TITLE as SCHOOL_KARTE_TITLE
from ui.school_karte.page import SchoolKartePage

pytestmark = pytest.mark.gui

# The modules the school karte's cross-check imports (statsmodels' MixedLM).
CROSS_CHECK_MODULES = ("statsmodels", "statsmodels.regression.mixed_linear_model",
                       "statsmodels.tools.sm_exceptions")


@pytest.fixture(scope="module")
def _seven_schools_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven schools: enough for the growth estimate, whose cross-check needs statsmodels."""
    path = tmp_path_factory.mktemp("failing-karte") / "demo.tdb"
    wider = DemoConfig(seed=7, n_primary=5, n_junior_high=2, primary_size=60,
                       junior_high_size=60, first_year=2023, last_year=2025, homonym_pairs=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DemoConfig, "small", classmethod(lambda _cls, seed=0: wider))
        created = create_demo_store(path, seed=7, small=True, scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    return path


def error_log(tmp_path: Path) -> str:
    return (tmp_path / "logs" / "errors.log").read_text(encoding="utf-8")


def test_a_page_whose_library_is_missing_says_the_figures_could_not_be_made_and_retries(
    qtbot: QtBot, make_shell: ShellFactory, reporter: ErrorReporter, tmp_path: Path,
    _seven_schools_template: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in CROSS_CHECK_MODULES:  # what an installation without statsmodels does
        monkeypatch.setitem(sys.modules, name, None)
    shell = make_shell(copy_store(_seven_schools_template, tmp_path / "city" / "demo.tdb"))
    window = sign_in(qtbot, shell, "demo-lead")
    window.show_page(SCHOOL_KARTE_TITLE)
    page = window.pages.currentWidget()
    assert isinstance(page, SchoolKartePage)
    qtbot.waitUntil(lambda: page.task.failure_notice is not None
                    and page.task.failure_notice.isVisible(), timeout=WAIT_MS)
    notice = page.task.failure_notice
    assert notice is not None and page.city is None
    shown = "\n".join(visible_texts(window))
    assert READ_HEADLINE in shown and notice.error_id in shown
    assert "もう一度試す" in shown and "システム管理者" in shown
    for leaked in ("statsmodels", "ModuleNotFoundError", "halted", "Traceback"):
        assert leaked not in shown
    assert not reporter.open_dialogs  # said on the page, not in a dialog on top of it
    log = error_log(tmp_path)
    assert notice.error_id in log and "ModuleNotFoundError" in log
    assert "halted" not in log and "None in sys.modules" not in log  # no message text

    monkeypatch.undo()  # the library is there again: もう一度試す shows the figures
    click(qtbot, notice.retry_button)
    qtbot.waitUntil(lambda: page.city is not None and not page.task.running, timeout=WAIT_MS)
    assert not notice.isVisible()
    assert RETRY_TEXT not in visible_texts(window)


def test_a_page_whose_store_is_closed_under_it_says_so_on_the_page_without_a_dialog(
    qtbot: QtBot, make_shell: ShellFactory, reporter: ErrorReporter, tmp_path: Path,
) -> None:
    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    page = window.pages.currentWidget()
    assert isinstance(page, OverviewPage)
    qtbot.waitUntil(lambda: page.loaded and not page.loading, timeout=WAIT_MS)
    assert shell.signed is not None
    shell.signed.store.db.close()
    page.reload()
    qtbot.waitUntil(lambda: not page.loading, timeout=WAIT_MS)
    notice = page.load_task.failure_notice
    assert notice is not None and notice.isVisible()
    shown = visible_texts(window)
    assert READ_HEADLINE in shown and "読み込めませんでした。" in shown
    assert not any("RuntimeError" in text or "shutdown" in text for text in shown)
    assert not reporter.open_dialogs and reporter.report_count == 1
    log = error_log(tmp_path)
    assert notice.error_id in log and "builtins.RuntimeError" in log
    assert "cannot schedule" not in log  # the exception's message stays out of the log
