"""The search page shows 在籍状況 for a role that sees former pupils (issue 13), and says why a
graduate is not found for a role that does not."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from tests.search.test_former_pupils import CURRENT, GRADUATE, SCHOOL, TRANSFERRED
from tests.search.test_former_pupils import city as city
from tests.ui.flows import WAIT_MS
from toda_desktop.composition import SignedIn
from toda_desktop.search.service import SearchFilters
from ui.background import BackgroundRunner
from ui.search.page import FORMER_NOTE, GRADE_COLUMN, SearchPage, count_text

SHOTS = os.environ.get("TODA_SHOTS")  # a folder: the rendered page is saved there to look at


def _page(qtbot: QtBot, signed: SignedIn, runner: BackgroundRunner) -> SearchPage:
    """The page as the window shows it (the bundled font is installed by ``app_font``)."""
    page = SearchPage(signed.search, runner, "wareki", can_export=True)
    qtbot.addWidget(page)
    page.resize(1100, 520)
    page.show()
    return page


def test_the_status_column_lists_who_is_enrolled_graduated_or_transferred(
    qtbot: QtBot, city: dict[str, SignedIn], runner: BackgroundRunner,
    app_font: QFont,
) -> None:
    page = _page(qtbot, city["truancy_support"], runner)
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        page._start(("", SearchFilters(school_year=2024, school_code=SCHOOL)))
    model = page.model
    assert model.headers[-1] == "在籍状況"
    column = len(model.headers) - 1
    shown = {model.index(r, 0).data(): model.index(r, column).data()
             for r in range(model.rowCount())}
    assert shown == {GRADUATE[1]: "卒業（令和6年度）", TRANSFERRED[1]: "転出（令和6年度）",
                     CURRENT[1]: "在籍中"}
    if SHOTS:
        page.grab().save(str(Path(SHOTS) / "search-status-column.png"))


def test_a_role_without_the_setting_has_no_status_column_and_is_told_why(
    qtbot: QtBot, city: dict[str, SignedIn], runner: BackgroundRunner,
    app_font: QFont,
) -> None:
    page = _page(qtbot, city["liaison"], runner)
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        page._start((GRADUATE[0], SearchFilters()))
    assert page.model.rowCount() == 0
    assert FORMER_NOTE in page.note_label.text()
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        page._start((CURRENT[0], SearchFilters()))
    assert "在籍状況" not in page.model.headers
    if SHOTS:
        page.grab().save(str(Path(SHOTS) / "search-liaison.png"))


def test_an_old_years_grade_is_shown_whole_not_cut_to_an_ellipsis(
    qtbot: QtBot, city: dict[str, SignedIn], runner: BackgroundRunner,
    app_font: QFont,
) -> None:
    signed = city["truancy_support"]
    page = _page(qtbot, signed, runner)
    graduate = signed.search.search(GRADUATE[0])  # last enrolled in 2024
    current = signed.search.search(CURRENT[0])  # enrolled in 2025
    both = replace(graduate, hits=graduate.hits + current.hits)
    page._show(("", both.filters), both)
    model = page.model
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == GRADUATE[1])
    grade = model.index(row, GRADE_COLUMN).data()
    assert grade.endswith("（令和6年度）"), grade
    needed = page.table.fontMetrics().horizontalAdvance(grade)
    assert page.table.horizontalHeader().sectionSize(GRADE_COLUMN) > needed


def test_a_capped_list_says_there_are_more_than_it_shows(
    qtbot: QtBot, city: dict[str, SignedIn], runner: BackgroundRunner,
    app_font: QFont,
) -> None:
    signed = city["truancy_support"]
    page = _page(qtbot, signed, runner)
    capped = signed.search.search("", SearchFilters(school_year=2025), limit=2)
    assert capped.truncated and len(capped.hits) == 2
    page._show(("", capped.filters), capped)
    assert page.count_label.text() == "2件以上（先頭2件）"
    assert page.truncated_label.isVisible()
    whole = signed.search.search("", SearchFilters(school_year=2025, school_code=SCHOOL))
    page._show(("", whole.filters), whole)
    assert page.count_label.text() == f"{len(whole.hits)}件"
    assert not page.truncated_label.isVisible()
    assert count_text(300, truncated=True) == "300件以上（先頭300件）"
