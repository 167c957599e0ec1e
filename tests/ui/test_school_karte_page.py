"""学校カルテ as staff use it, on a real small demo city and the real service: every cell
says n and its interval, uncertain and suppressed cells say so in words, schools stay in code
order everywhere, the fixed caption is always on screen, and a role without ``school_karte``
has no such page."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.conftest import TEST_SCRYPT_N, copy_store
from tests.ui.conftest import SCREENSHOT_DIR, ShellFactory
from tests.ui.flows import WAIT_MS, sign_in, visible_texts
from toda_desktop.demo import DemoConfig
from toda_desktop.store_setup import create_demo_store
from ui.main_window import MainWindow
from ui.page import ALERT_LISTS, RISK_MODEL
from ui.printing.purpose_dialog import PrintPurposeDialog
from ui.school_karte.adapt import SCHOOL_LEVEL
from ui.school_karte.grid import CELL_ROLE, GridCell
from ui.school_karte.page import TITLE, SchoolKartePage
from ui.shell import Shell

pytestmark = pytest.mark.gui

SHOTS = SCREENSHOT_DIR / "school_karte"  # for a person to look at (not checked)
SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def _seven_school_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo city with seven schools: enough schools for the growth estimate
    (three are too few), still tens of pupils per school."""
    path = tmp_path_factory.mktemp("school-karte-city") / "demo.tdb"
    wider = DemoConfig(seed=7, n_primary=5, n_junior_high=2, primary_size=60,
                       junior_high_size=60, first_year=2023, last_year=2025, homonym_pairs=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DemoConfig, "small", classmethod(lambda _cls, seed=0: wider))
        created = create_demo_store(path, seed=7, small=True, scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    return path


@pytest.fixture
def seven_schools(_seven_school_template: Path, tmp_path: Path) -> Path:
    return copy_store(_seven_school_template, tmp_path / "seven" / "demo.tdb")


def open_page(qtbot: QtBot, shell: Shell, login: str = "demo-lead") -> SchoolKartePage:
    window = sign_in(qtbot, shell, login)
    window.show_page(TITLE)
    page = window.pages.currentWidget()
    assert isinstance(page, SchoolKartePage)
    qtbot.waitUntil(lambda: not page.busy and (page.city is not None
                                               or page.status_line.isVisible()),
                    timeout=WAIT_MS)
    assert page.city is not None, page.status_line.text()
    return page


def open_karte(qtbot: QtBot, page: SchoolKartePage, code: str) -> None:
    page.open_school(code)
    qtbot.waitUntil(lambda: page.karte is not None and page.karte.school.code == code
                    and not page.busy, timeout=WAIT_MS)


def shown_cells(page: SchoolKartePage) -> list[GridCell]:
    model = page.school_view.results_model
    cells = []
    for row in range(model.rowCount()):
        for column in range(1, model.columnCount()):
            cell = model.index(row, column).data(CELL_ROLE)
            if isinstance(cell, GridCell):
                cells.append(cell)
    return cells


def all_levels_cells(page: SchoolKartePage) -> list[tuple[GridCell, str]]:
    """Every cell of every survey and group with its displayed text."""
    view = page.school_view
    found = []
    for s in range(view.survey_combo.count()):
        view.survey_combo.setCurrentIndex(s)
        for lv in range(view.level_combo.count()):
            view.level_combo.setCurrentIndex(lv)
            model = view.results_model
            for row in range(model.rowCount()):
                for column in range(1, model.columnCount()):
                    index = model.index(row, column)
                    cell = index.data(CELL_ROLE)
                    if isinstance(cell, GridCell):
                        found.append((cell, str(index.data(Qt.ItemDataRole.DisplayRole))))
    return found


def test_every_shown_cell_says_its_n_and_95_percent_interval_or_why_not(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    page = open_page(qtbot, make_shell())
    assert page.city is not None
    # The small city's primary schools (grades of 3–18 pupils, the city's grades their sums)
    # withhold everything; its junior high shows its cells: look at both.
    cells = []
    for school in page.city.schools[:2]:
        open_karte(qtbot, page, school.code)
        cells += all_levels_cells(page)
    valued = [(c, text) for c, text in cells if c.value is not None]
    assert valued, "the small demo city has survey results"
    for cell, text in valued:
        assert f"n={cell.n:,}" in text and "95%区間" in text, text
        assert cell.low is not None and cell.high is not None and cell.value is not None
        assert cell.low <= cell.value <= cell.high
    suppressed = [text for c, text in cells if c.state == "suppressed"]
    assert suppressed, "classes of a small city fall under 10 pupils"
    assert all("少人数" in t and "%" not in t for t in suppressed)
    uncertain = [text for c, text in cells if c.state == "uncertain"]
    assert uncertain and all("差は不確か" in t for t in uncertain)


def test_a_grey_cell_is_one_whose_interval_includes_the_city_value(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    page = open_page(qtbot, make_shell())
    assert page.city is not None
    open_karte(qtbot, page, page.city.schools[0].code)
    for cell, _text in all_levels_cells(page):
        if cell.value is None or cell.city is None:
            continue
        assert cell.low is not None and cell.high is not None
        includes = cell.low <= cell.city <= cell.high
        assert (cell.state == "uncertain") == includes


@pytest.mark.slow
def test_schools_are_in_code_order_in_tiles_lists_and_charts(
    qtbot: QtBot, make_shell: ShellFactory, seven_schools: Path,
) -> None:
    page = open_page(qtbot, make_shell(seven_schools))
    view = page.city
    assert view is not None and view.growth is not None
    codes = [s.code for s in view.schools]
    assert codes == sorted(codes) and len(codes) == 7
    assert [t.data.key for t in page.city_panel.multiples.tiles] == codes
    combo = page.school_combo
    assert [combo.itemData(i) for i in range(combo.count())] == codes
    growth = page.city_panel.growth
    drawn = [p.code for p in growth.caterpillar.points]
    assert drawn == sorted(drawn) and len(drawn) >= 6
    assert [p.code for p in growth.funnel.points] == drawn
    assert [p.code for p in growth.quadrant.points] == drawn
    # Each row of the caterpillar is named after the school of that code, top to bottom.
    names = {s.code: s.name for s in view.schools}
    assert [p.name for p in growth.caterpillar.points] == [names[c] for c in drawn]


def test_drilling_down_goes_school_then_grades_then_classes_and_back(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    page = open_page(qtbot, make_shell())
    panel = page.city_panel
    first = panel.multiples.tiles[0]
    qtbot.mouseClick(first, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.level == SCHOOL_LEVEL and not page.busy, timeout=WAIT_MS)
    grades = [t.data.title for t in panel.multiples.tiles]
    assert grades and all(g.endswith("年") for g in grades)
    qtbot.mouseClick(panel.multiples.tiles[0], Qt.MouseButton.LeftButton)
    assert panel.level is not None and panel.level[0] is not None
    classes = [t.data.title for t in panel.multiples.tiles]
    assert classes and all(c.startswith(grades[0]) and c != grades[0] for c in classes)
    panel.go_to_city()
    assert len(panel.multiples.tiles) == len(page.city.schools if page.city else [])


def test_the_caption_stays_on_screen_on_every_tab(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    page = open_page(qtbot, make_shell())
    assert page.city is not None
    open_karte(qtbot, page, page.city.schools[0].code)
    for i in range(page.school_view.tabs.count()):
        page.school_view.tabs.setCurrentIndex(i)
        assert page.caption.isVisible()
        assert "評価" in page.caption.text() and "関連" in page.caption.text()


def test_a_role_without_school_karte_has_no_such_page(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-truancy")
    assert isinstance(window, MainWindow)
    pages = [window.pages.widget(i) for i in range(window.pages.count())]
    assert not any(isinstance(p, SchoolKartePage) for p in pages)


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_screenshots_of_the_city_view_and_each_karte_tab(
    qtbot: QtBot, make_shell: ShellFactory, seven_schools: Path, size: tuple[int, int],
) -> None:
    """Saved for review (a principal and an analyst read them); the test checks only that
    every tab drew."""
    shell = make_shell(seven_schools)
    page = open_page(qtbot, shell)
    window = shell.main_window
    assert window is not None and page.city is not None
    window.resize(*size)
    SHOTS.mkdir(parents=True, exist_ok=True)
    tag = f"{size[0]}x{size[1]}"
    qtbot.wait(80)
    window.grab().save(str(SHOTS / f"city_{tag}.png"))
    surveys = page.city_panel.survey_combo
    rounds = max(range(surveys.count()), key=lambda i: len(page.city.surveys[i].rounds))
    surveys.setCurrentIndex(rounds)  # the survey with the most rounds
    qtbot.wait(50)
    window.grab().save(str(SHOTS / f"city_rounds_{tag}.png"))
    page.city_panel.multiples.tiles[0].opened.emit(page.city.schools[0].code)
    qtbot.waitUntil(lambda: page.city_panel.level == SCHOOL_LEVEL and not page.busy,
                    timeout=WAIT_MS)
    qtbot.wait(50)
    window.grab().save(str(SHOTS / f"city_drill_{tag}.png"))
    for i in range(1, page.city_panel.tabs.count()):
        page.city_panel.go_to_city()
        page.city_panel.tabs.setCurrentIndex(i)
        qtbot.wait(50)
        window.grab().save(str(SHOTS / f"city_tab{i}_{tag}.png"))
    open_karte(qtbot, page, page.city.schools[0].code)
    page.school_view.survey_combo.setCurrentIndex(rounds)
    for i in range(page.school_view.tabs.count()):
        page.school_view.tabs.setCurrentIndex(i)
        qtbot.wait(50)
        window.grab().save(str(SHOTS / f"karte_tab{i}_{tag}.png"))
    page.school_view.growth.grab().save(str(SHOTS / f"karte_growth_whole_{tag}.png"))
    page.school_view.tabs.setCurrentIndex(0)
    levels = page.school_view.level_combo
    classes = [i for i in range(levels.count()) if (levels.itemData(i) or (None, None))[1]]
    assert classes, "the karte lists the school's classes"
    levels.setCurrentIndex(classes[len(classes) // 2])
    qtbot.wait(50)
    window.grab().save(str(SHOTS / f"karte_class_{tag}.png"))
    assert (SHOTS / f"karte_tab{page.school_view.tabs.count() - 1}_{tag}.png").exists()


@pytest.mark.slow
def test_printing_the_open_school_previews_its_report_after_the_purpose(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    page = open_page(qtbot, make_shell())
    assert not page.print_button.isEnabled()  # no school open: nothing to print yet
    page.print_page()  # (Ctrl+P then does nothing)
    assert page.city is not None
    open_karte(qtbot, page, page.city.schools[0].code)
    assert page.print_button.isVisible() and page.print_button.isEnabled()
    printer = page._printer
    assert printer is not None
    with qtbot.waitSignal(printer.purpose_asked, timeout=WAIT_MS) as asked:
        page.print_page()
    dialog = asked.args[0]
    assert isinstance(dialog, PrintPurposeDialog)
    assert "学校カルテ" in " ".join(visible_texts(dialog))
    dialog.choice.setCurrentIndex(0)
    with qtbot.waitSignal(printer.preview_shown, timeout=WAIT_MS) as shown:
        dialog.ok_button.click()
    preview = shown.args[0]
    assert preview.document.pupils == ()  # aggregates only: the sheet names no pupil
    assert page.karte is not None and page.karte.school.name in preview.document.title
    preview.resize(1100, 1000)
    qtbot.wait(200)
    SHOTS.mkdir(parents=True, exist_ok=True)
    preview.grab().save(str(SHOTS / "printout_preview.png"))
    preview.reject()
    qtbot.waitUntil(lambda: not printer.busy, timeout=WAIT_MS)


def test_lists_made_or_an_alert_marked_reload_the_counts_on_screen(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    page = open_page(qtbot, make_shell())
    before = page.city
    page.data_changed(frozenset({ALERT_LISTS}))  # the alert counts are by their marks
    qtbot.waitUntil(lambda: page.city is not before and not page.busy, timeout=WAIT_MS)
    shown = page.city
    page.data_changed(frozenset({RISK_MODEL}))  # a new model changes no count
    assert not page.busy and page.city is shown


def test_the_city_is_read_on_the_worker_with_progress_and_cancel_on_the_page(
    qtbot: QtBot, make_shell: ShellFactory,
) -> None:
    window = sign_in(qtbot, make_shell(), "demo-analyst")
    window.show_page(TITLE)
    page = window.pages.currentWidget()
    assert isinstance(page, SchoolKartePage)
    # Showing the page returned at once: the reading runs on the worker meanwhile.
    assert page.busy and page.city is None
    assert page.progress.isVisible() and page.progress.cancel_button.isEnabled()
    assert not page.year_combo.isEnabled()
    qtbot.waitUntil(lambda: page.city is not None and not page.busy, timeout=WAIT_MS)
    assert not page.progress.isVisible() and page.year_combo.isEnabled()
