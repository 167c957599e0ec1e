"""The wizard on a real health-room log: unknown 症状 words mapped, repeated visits kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
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

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "values"


@pytest.fixture
def store_with_pupils(store_path: Path, sim: Simulator) -> Path:
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path, scanner_factory=scanner_factory(sim))
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    signed.importing.commit(signed.importing.preview(
        signed.importing.inspect(FIXTURES / "students.csv")))
    app.close()
    return store_path


def test_unknown_values_are_mapped_and_repeated_visits_kept_in_the_wizard(
    qtbot: QtBot, make_shell: ShellFactory, store_with_pupils: Path, screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    log = tmp_path / "hoken_2024.csv"
    shutil.copyfile(FIXTURES / "hoken_2024.csv", log)
    shell = make_shell(store_with_pupils)
    window = sign_in(qtbot, shell, LEAD_LOGIN, LEAD_PASSWORD)
    page = window.show_page("取込")
    assert isinstance(page, ImportPage)
    page.choose_files = lambda: [log]
    click(qtbot, page.start_step.choose_button)
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING and not page.busy, timeout=WAIT_MS)
    click(qtbot, page.mapping_step.to_preview_button)
    qtbot.waitUntil(lambda: page.step == wizard.PREVIEW and not page.busy, timeout=WAIT_MS)
    assert page.preview_step.repeats_check.isVisible()
    assert page.preview_step.repeats_check.text().startswith("すべての列が同じ行 4行も")
    assert page.preview_step.values_row.isVisible()
    assert "4種類" in page.preview_step.values_label.text()
    assert page.preview_step.commit_button.isEnabled()
    qtbot.wait(50)
    window.grab().save(str(screenshot_dir / "import_preview_values.png"))

    click(qtbot, page.preview_step.values_button)
    dialog = page.value_dialog
    assert dialog is not None and dialog.isVisible()
    row = [u.value for u in dialog.unknown].index("発熱")
    dialog.combos[row].setCurrentIndex(dialog.combos[row].findData("内科"))
    qtbot.wait(50)
    dialog.grab().save(str(screenshot_dir / "import_value_map_dialog.png"))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: page.preview is not None and not page.busy
        and {u.value for u in page.preview.unknown_values} == {"頭痛", "腹痛", "COVID疑い"},
        timeout=WAIT_MS)
    assert "3種類" in page.preview_step.values_label.text()

    page.preview_step.repeats_check.setChecked(True)
    assert "繰り返しの記録として取り込みます" in page.preview_step.commit_text.text()
    click(qtbot, page.preview_step.commit_button)
    box = page.confirmation
    assert box is not None and "繰り返しの記録" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: page.step == wizard.RESULT, timeout=WAIT_MS)
    assert page.last_result is not None and page.last_result.inserted == 12


def test_a_workbook_s_totals_rows_show_as_their_own_count_not_as_errors(
    qtbot: QtBot, make_shell: ShellFactory, store_with_pupils: Path, screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    import openpyxl

    workbook = tmp_path / "出欠_第一小_2024-05.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["宛名番号", "氏名", "年度", "月", "授業日数", "欠席日数", "遅刻", "早退"])
    sheet.append(["0000100001", "山田 太郎", 2024, 5, 20, 1, 0, 0])
    sheet.append(["0000100002", "佐藤 花子", 2024, 5, 20, 0, 0, 0])
    sheet.append([None, "合計", None, None, 40, 1, 0, 0])
    book.save(workbook)
    shell = make_shell(store_with_pupils)
    window = sign_in(qtbot, shell, LEAD_LOGIN, LEAD_PASSWORD)
    page = window.show_page("取込")
    assert isinstance(page, ImportPage)
    page.choose_files = lambda: [workbook]
    click(qtbot, page.start_step.choose_button)
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING and not page.busy, timeout=WAIT_MS)
    click(qtbot, page.mapping_step.to_preview_button)
    qtbot.waitUntil(lambda: page.step == wizard.PREVIEW and not page.busy, timeout=WAIT_MS)
    tile = page.preview_step.count_tiles["totals_rows"]
    assert tile.isVisible() and tile.value_label.text() == "1"
    assert page.preview_step.count_tiles["rows"].value_label.text() == "3"
    assert page.preview_step.count_tiles["error_rows"].value_label.text() == "0"
    assert page.preview_step.commit_button.isEnabled()
    assert not page.preview_step.values_row.isVisible()
    qtbot.wait(50)
    window.grab().save(str(screenshot_dir / "import_preview_totals.png"))
