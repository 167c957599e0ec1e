"""The safeguards of 見守りアラート on the screen and on the karte (issue 10), against a real
small demo city with a quickly trained model (services not mocked), at an office laptop's
1366×768.

No rank anywhere (the order within a school is 確認の順), the April caveats beside the band
and the 学年・組 they explain, 宛名番号 only for roles with export, 学校ごとに保存 beside the
file export, and a karte that never reads as an all-clear for a pupil not on a list.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kernel.school_calendar import SchoolMonth
from tests.conftest import copy_store
from tests.risk.conftest import sign_in
from tests.ui.flows import WAIT_MS, answer_purpose, click, english_words, visible_texts
from tests.ui.risk_windows import RiskWindows
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.risk import RiskService
from toda_desktop.risk.alert_csv import APRIL_BAND_NOTE, APRIL_ROSTER_NOTE, CAUTION
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.karte.risk_section import CAUTION as KARTE_CAUTION
from ui.karte.risk_section import NO_LIST_YET, NOT_ALL_CLEAR, KarteRiskSection
from ui.main_window import MainWindow
from ui.risk.alerts_page import ADDRESS_HEADER, ORDER_HEADER, AlertsPage
from ui.risk.pages import ALERTS_TITLE

pytestmark = pytest.mark.gui

SCREEN = (1366, 768)
LATEST = SchoolMonth(2026, 4)
OCTOBER = SchoolMonth(2025, 10)
RANK_WORDS = ("rank", "順位", "ランク", "上位")
ALLOWED_LATIN = {"CSV", "UTF", "Shift_JIS", "JIS", "Shift", "Excel", "xlsx"}

Opened = Callable[[str], tuple[MainWindow, SignedIn]]


@pytest.fixture(scope="module")
def listed_store(
    _demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The small demo city with a quick model and the lists of October (the newest month,
    April, is made by the page when it opens)."""
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("safeguards") / "demo.tdb")
    lead = sign_in(path, "project_lead")
    try:
        risk = RiskService(lead.context)
        risk.train(quick=True)
        risk.score(OCTOBER)
    finally:
        lead.sign_out()
    return path


@pytest.fixture
def open_window(
    app_font: QFont, qtbot: QtBot, runner: BackgroundRunner, reporter: ErrorReporter,
    tmp_path: Path, listed_store: Path,
) -> Iterator[Opened]:
    """A main window with the risk pages of a role, on a fresh copy of a store."""
    windows = RiskWindows(runner, tmp_path, listed_store, SCREEN)
    yield windows
    windows.close(reporter)


def _alerts_page(qtbot: QtBot, window: MainWindow) -> AlertsPage:
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page(ALERTS_TITLE)
    assert isinstance(page, AlertsPage)
    qtbot.waitUntil(lambda: bool(page.alerts) and not page.busy, timeout=WAIT_MS)
    return page


def _month(qtbot: QtBot, page: AlertsPage, month: str) -> None:
    page.select_month(month)
    qtbot.waitUntil(lambda: not page.busy and page.month == month and bool(page.alerts)
                    and page.alerts[0].month == month, timeout=WAIT_MS)


def _shot(qtbot: QtBot, widget: QWidget, path: Path) -> None:
    qtbot.wait(80)
    widget.grab().save(str(path))


def _headers(page: AlertsPage) -> list[str]:
    return [str(page.model.headerData(c, Qt.Orientation.Horizontal))
            for c in range(page.model.columnCount()) if not page.table.isColumnHidden(c)]


def _not_cut(widget: QWidget) -> list[str]:
    """Buttons narrower than their text, and one-line labels cut at the window's edge."""
    cut = []
    for button in widget.findChildren(QPushButton):
        if button.isVisible() and button.width() < button.sizeHint().width():
            cut.append(button.text())
    right = widget.mapToGlobal(widget.rect().topRight()).x()
    for label in widget.findChildren(QLabel):
        if (label.isVisible() and label.text() and not label.wordWrap()
                and label.mapToGlobal(label.rect().topRight()).x() > right + 1):
            cut.append(label.text())
    return cut


# -- the alert screen ---------------------------------------------------------------------


def test_the_order_is_confirmation_order_within_a_school_and_no_rank_is_shown(
    qtbot: QtBot, open_window: Opened, screenshot_dir: Path
) -> None:
    window, _signed = open_window("truancy_support")
    page = _alerts_page(qtbot, window)
    _month(qtbot, page, OCTOBER)
    headers = _headers(page)
    assert headers[0] == ORDER_HEADER == "確認の順"
    own = visible_texts(page)  # the band's words too (analysis.risk.bands)
    assert not [t for t in [*headers, *own] if any(w in t.lower() for w in RANK_WORDS)]
    assert "学校どうしを比べるものではありません" in page.model.data(
        page.model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    for code in page.school_codes():
        page.select_school(code)
        assert [a.rank for a in page.model.rows] == list(range(1, len(page.model.rows) + 1))
    # A role without export: named by 氏名・学年・組, never by 宛名番号, and no file actions.
    assert ADDRESS_HEADER not in headers
    assert all(a.address_code is None for a in page.alerts)
    assert page.pupil_label.text() and "宛名番号" not in page.pupil_label.text()
    assert not page.export_button.isVisible() and not page.school_export_button.isVisible()
    assert not page.april_band_label.isVisible() and not page.april_roster_label.isVisible()
    assert not _not_cut(window)
    _shot(qtbot, window, screenshot_dir / "alert_safeguards_october_truancy.png")


def test_the_april_caveats_stand_beside_the_band_and_the_grade_they_explain(
    qtbot: QtBot, open_window: Opened, screenshot_dir: Path
) -> None:
    window, _signed = open_window("project_lead")
    page = _alerts_page(qtbot, window)
    assert page.month == LATEST
    assert page.april_band_label.isVisible() and page.april_band_label.text() == APRIL_BAND_NOTE
    assert page.april_roster_label.isVisible()
    assert page.april_roster_label.text() == APRIL_ROSTER_NOTE
    assert "在籍名簿" not in page.period_label.text()  # no longer far away at the top
    # Beside the band: in the card, right under the band and its words.
    card = page.detail
    band_y = page.band_label.mapTo(card, page.band_label.rect().bottomLeft()).y()
    note_y = page.april_band_label.mapTo(card, page.april_band_label.rect().topLeft()).y()
    reasons_y = page.reasons_label.mapTo(card, page.reasons_label.rect().topLeft()).y()
    assert band_y <= note_y < reasons_y
    # Beside 学年・組: just above the table.
    roster_y = page.april_roster_label.mapTo(page, page.april_roster_label.rect().topLeft()).y()
    table_y = page.table.mapTo(page, page.table.rect().topLeft()).y()
    assert 0 < table_y - roster_y < 80
    # The project lead may export: 宛名番号 is shown, and both file actions stand together.
    assert ADDRESS_HEADER in _headers(page)
    assert page.export_button.isVisible() and page.school_export_button.isVisible()
    assert page.school_export_button.text() == "学校ごとに保存…"
    assert page.school_export_button.parent() is page.export_button.parent()
    assert 0 < page.school_export_button.y() - page.export_button.y() < 60
    assert not english_words(visible_texts(page), ALLOWED_LATIN)
    assert not _not_cut(window)
    header = page.table.horizontalHeader()
    assert header.sectionSize(0) >= header.sectionSizeFromContents(0).width()  # 確認の順 whole
    _shot(qtbot, window, screenshot_dir / "alert_safeguards_april_lead.png")
    assert window.height() <= SCREEN[1], window.minimumSizeHint()
    _month(qtbot, page, OCTOBER)
    assert not page.april_band_label.isVisible() and not page.april_roster_label.isVisible()


def test_saving_one_file_per_school_from_the_screen(
    qtbot: QtBot, open_window: Opened, tmp_path: Path
) -> None:
    window, signed = open_window("project_lead")
    page = _alerts_page(qtbot, window)
    _month(qtbot, page, OCTOBER)
    folder = tmp_path / "校長へ"
    folder.mkdir()
    page.choose_export_folder = lambda: folder
    page.choose_purpose = answer_purpose
    page.format_combo.setCurrentIndex(page.format_combo.findData("cp932"))
    click(qtbot, page.school_export_button)
    qtbot.waitUntil(lambda: bool(page.last_school_export) and not page.busy, timeout=WAIT_MS)
    files = sorted(folder.iterdir())
    codes = page.school_codes()
    assert len(files) == len(codes) == 3
    assert "3校分のファイルを保存しました" in page.status_line.text()
    for code, path in zip(codes, files, strict=True):
        assert path.name.startswith(f"{code}_")
        assert path.name.endswith("_2025-10_見守りアラート.csv")
        with path.open(encoding="cp932", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == [CAUTION]
        table = rows[rows.index([]) + 1:]
        assert "確認の順（校内）" in table[0] and "宛名番号" in table[0]
        assert {r[1] for r in table[1:]} == {code}
    entries = signed.audit_view.entries(AuditFilter(action="export"))
    details = " ".join(e.detail_text for e in entries)
    assert all(f.name in details for f in files)  # one entry per file
    # The single file is written by the same flow, in the chosen format.
    page.choose_export_path = lambda: tmp_path / "全校"
    page.choose_purpose = answer_purpose
    click(qtbot, page.export_button)
    qtbot.waitUntil(lambda: page.last_export is not None and not page.busy, timeout=WAIT_MS)
    assert page.last_export is not None and page.last_export.rows == 15
    assert (tmp_path / "全校.csv").read_bytes().decode("cp932").startswith(CAUTION)


# -- the karte section --------------------------------------------------------------------


_HOLDERS: list[QWidget] = []


@pytest.fixture(autouse=True)
def _release_holders() -> Iterator[None]:
    yield
    _HOLDERS.clear()


def _section(qtbot: QtBot, signed: SignedIn, runner: BackgroundRunner, pupil_id: int,
             ) -> KarteRiskSection:
    holder = QWidget()
    qtbot.addWidget(holder)  # closed by qtbot at the end
    _HOLDERS.append(holder)  # kept alive while the test reads the section
    holder.resize(SCREEN[0] - 260, 300)  # the karte beside the navigation
    section = KarteRiskSection(pupil_id, signed.risk.explanations, None, runner, "wareki",
                               holder)
    section.resize(holder.width(), section.sizeHint().height())
    holder.show()
    qtbot.waitExposed(holder)
    with qtbot.waitSignal(section.loaded, timeout=WAIT_MS):
        section.load()
    section.resize(holder.width(), section.sizeHint().height())
    return section


def test_the_karte_says_which_list_a_pupil_is_not_on_and_that_it_is_no_all_clear(
    qtbot: QtBot, app_font: QFont, runner: BackgroundRunner, tmp_path: Path,
    listed_store: Path, screenshot_dir: Path,
) -> None:
    signed = sign_in(copy_store(listed_store, tmp_path / "s" / "demo.tdb"), "truancy_support")
    try:
        risk = signed.risk
        october = risk.alerts(OCTOBER)
        april = risk.score(LATEST, top=3).alerts  # the newest lists, three per school
        on_april = {a.pupil_id for a in april}
        earlier = next(a for a in october if a.pupil_id not in on_april)
        never = signed.store.db.call(lambda c: c.execute(
            "SELECT min(id) FROM ds_students WHERE id NOT IN"
            " (SELECT pupil_id FROM risk_alerts)").fetchone()[0])

        # Never listed: which list, its real size (3, not a hard-coded 5), and no all-clear.
        section = _section(qtbot, signed, runner, int(never))
        texts = section.texts()
        assert texts[0] == "令和8年4月: 各校3人までの一覧には入っていません。"
        assert NOT_ALL_CLEAR in texts
        assert not [t for t in texts if "帯 " in t or "心配ありません" in t]
        assert not [t for t in [*texts, KARTE_CAUTION] if any(w in t for w in RANK_WORDS)]
        _shot(qtbot, section, screenshot_dir / "alert_safeguards_karte_not_listed.png")

        # Listed before, not now: both said, the earlier listing labelled as earlier.
        assert earlier.pupil_id is not None
        section = _section(qtbot, signed, runner, earlier.pupil_id)
        texts = section.texts()
        assert texts[0] == "令和8年4月: 各校3人までの一覧には入っていません。"
        assert "前に入った一覧: 令和7年10月の見守りアラート" in texts
        assert f"帯 {earlier.band}" in texts
        _shot(qtbot, section, screenshot_dir / "alert_safeguards_karte_earlier.png")

        # On the newest (April) list: the band, with the April caveat beside it.
        first = april[0]
        assert first.pupil_id is not None
        section = _section(qtbot, signed, runner, first.pupil_id)
        texts = section.texts()
        assert texts[0] == "令和8年4月の見守りアラート"
        assert section.april_band_label.isVisible() and APRIL_BAND_NOTE in texts
        assert not section.standing_label.isVisible()
        assert not english_words(texts)
        _shot(qtbot, section, screenshot_dir / "alert_safeguards_karte_april.png")
    finally:
        runner.shutdown()
        signed.sign_out()


def test_the_karte_before_any_list_is_made_says_so(
    qtbot: QtBot, app_font: QFont, runner: BackgroundRunner, demo_store_path: Path
) -> None:
    signed = sign_in(demo_store_path, "truancy_support")
    try:
        section = _section(qtbot, signed, runner, 1)
        assert section.texts() == [NO_LIST_YET]
        assert section.facts is not None and section.facts.risk.list_month is None
    finally:
        runner.shutdown()
        signed.sign_out()
