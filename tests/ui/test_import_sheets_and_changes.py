"""The wizard with a workbook of several sheets (each fitting sheet its own entry, a chooser,
the sheets not read named with their reason) and an overwrite (every change listed before
committing, blanks never erase), on hand-written files (issue 10, points 4 and 6)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from pytestqt.qtbot import QtBot

from devices import Simulator
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.ui.conftest import ShellFactory, scanner_factory
from tests.ui.flows import WAIT_MS, click, sign_in
from toda_desktop.composition import Application
from toda_desktop.store_setup import create_empty_store
from ui.importing import wizard
from ui.importing.wizard import ImportPage

pytestmark = pytest.mark.gui

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "files"
HEADER = ["利用日", "宛名番号", "氏名", "入室時刻", "症状区分"]


@pytest.fixture
def register_store(store_path: Path, sim: Simulator) -> Path:
    """A test store holding the hand-written register (lead's palm enrolled)."""
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path, scanner_factory=scanner_factory(sim))
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    for name in ("students.csv", "schools.csv", "enrollments_2024.csv"):
        signed.importing.commit(signed.importing.preview(signed.importing.inspect(FIXTURES / name)))
    app.close()
    return store_path


def _page(qtbot: QtBot, make_shell: ShellFactory, path: Path) -> tuple[object, ImportPage]:
    window = sign_in(qtbot, make_shell(path), LEAD_LOGIN, LEAD_PASSWORD)
    page = window.show_page("取込")
    assert isinstance(page, ImportPage)
    return window, page


def _workbook(path: Path) -> None:
    book = Workbook()
    book.active.title = "6月"
    book.active.append(HEADER)
    book.active.append([datetime(2024, 6, 3), "0000101", "青木　一郎", "10:20", "内科"])
    july = book.create_sheet("7月")
    july.append(HEADER)
    july.append([datetime(2024, 7, 1), "0000102", "井上　花子", "9:00", "外科"])
    july.append([datetime(2024, 7, 2), "0000103", "上田　健太", "9:30", "内科"])
    book.create_sheet("記入の注意").append(["1回の来室を1行に書いてください。"])
    book.save(path)


def test_each_fitting_sheet_is_an_entry_and_the_others_are_named(
    qtbot: QtBot, make_shell: ShellFactory, register_store: Path, tmp_path: Path,
    screenshot_dir: Path,
) -> None:
    window, page = _page(qtbot, make_shell, register_store)
    book = tmp_path / "保健室来室記録.xlsx"
    _workbook(book)
    page.choose_files = lambda: [book]
    click(qtbot, page.start_step.choose_button)
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING and not page.busy, timeout=WAIT_MS)
    assert [e.display_name for e in page.entries] == ["保健室来室記録.xlsx（6月）",
                                                      "保健室来室記録.xlsx（7月）"]
    assert page.mapping_step.sheet_row.isVisible()
    sheets = page.mapping_step.sheet_combo
    assert [sheets.itemText(i) for i in range(sheets.count())] == [
        "6月", "7月", "記入の注意（見出しがどのデータの種類にも合いません。）"]
    assert page.mapping_step.sheet_combo.currentText() == "6月"
    assert page.mapping_step.sheet_notes.text() == (
        "シート「記入の注意」は読みませんでした: 見出しがどのデータの種類にも合いません。")
    assert page.mapping_step.kind_combo.currentText() == "保健室利用"
    qtbot.wait(50)
    window.grab().save(str(screenshot_dir / "import_sheets.png"))  # type: ignore[attr-defined]

    # The user may read another sheet for this entry instead.
    page.mapping_step.sheet_combo.setCurrentIndex(1)
    page.mapping_step.sheet_combo.activated.emit(1)
    qtbot.waitUntil(lambda: not page.busy and page.entry is not None
                    and page.entry.sheet == "7月", timeout=WAIT_MS)
    assert page.mapping_step.rows_label.text() == "2行"
    assert "7月" in page.mapping_step.file_title.text()
    # No entry reads 6月 now: said, not left out silently.
    assert "シート「6月」は読みませんでした: ほかのシートを選んだため、読みません。" in (
        page.mapping_step.sheet_notes.text())
    # The second entry names the sheets no entry reads too.
    page.next_file()
    qtbot.waitUntil(lambda: page.current == 1 and not page.busy, timeout=WAIT_MS)
    assert "シート「記入の注意」は読みませんでした" in page.mapping_step.sheet_notes.text()


def test_an_overwrite_lists_every_change_before_it_is_committed(
    qtbot: QtBot, make_shell: ShellFactory, register_store: Path, screenshot_dir: Path,
) -> None:
    window, page = _page(qtbot, make_shell, register_store)
    page.choose_files = lambda: [FIXTURES / "enrollments_2024_corrected.csv"]
    click(qtbot, page.start_step.choose_button)
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING and not page.busy, timeout=WAIT_MS)
    assert not page.mapping_step.sheet_row.isVisible()  # a CSV has no sheets to choose
    click(qtbot, page.mapping_step.to_preview_button)
    qtbot.waitUntil(lambda: page.step == wizard.PREVIEW and not page.busy, timeout=WAIT_MS)
    assert page.preview_step.overwrite_check.isVisible()
    assert page.preview_step.changes_table.isVisible()
    assert "上書きすると変わる値（1件）" in page.preview_step.changes_label.text()
    model = page.preview_step.changes_model
    assert [model.index(0, c).data() for c in range(5)] == [
        "4行目", "上田　健太（宛名番号 0000103）・令和6年度・さくら小学校・3年・1組・3番",
        "県学調番号", "P24-0103", "P24-1103"]
    page.preview_step.overwrite_check.setChecked(True)
    qtbot.wait(50)
    window.grab().save(str(screenshot_dir / "import_overwrite_changes.png"))  # type: ignore[attr-defined]
