"""取込, 名寄せ確認 and 取込履歴, driven as a new user would, on the demo city's messy files.

A fresh test store (only the project lead) receives the files the generator writes for a
small city (``messy=True``: variant headers, CP932 and BOM, 和暦, duplicates, twins…); the
ground truth kept apart by the generator says which pupil each row belongs to. Services are
real, nothing is mocked.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QMessageBox
from pytestqt.qtbot import QtBot

from devices import Simulator
from storage.repos import imports
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.importing.helpers import truth
from tests.ui.conftest import ShellFactory, scanner_factory
from tests.ui.flows import WAIT_MS, answer_purpose, click, english_words, sign_in, visible_texts
from toda_desktop.composition import Application
from toda_desktop.demo import DemoConfig, generate_city, write_interchange_files
from toda_desktop.importing.service import ISSUE_HEADER
from toda_desktop.store_setup import create_empty_store
from ui.importing import wizard
from ui.importing.history import HistoryPage
from ui.importing.models.files import IMPORTED
from ui.importing.models.preview import commit_summary
from ui.importing.wizard import ImportPage
from ui.main_window import MainWindow
from ui.review.models import ReviewLine
from ui.review.page import ReviewPage
from ui.shell import Shell

pytestmark = pytest.mark.gui

STUDENTS = "students.csv"
SCHOOLS = "schools.csv"
ENROLLMENTS = "enrollments_2025.csv"
ATTENDANCE = "attendance_monthly_2025.csv"
# Allowed Latin words on these screens: file names of the demo city and the formats.
FILE_WORDS = {"students", "schools", "enrollments", "attendance", "monthly", "csv", "CSV",
              "UTF", "Shift", "JIS", "Excel", "xlsx", "BOM", "Enter"}


@pytest.fixture(scope="module")
def messy_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    city = generate_city(DemoConfig.small(seed=11))
    folder = tmp_path_factory.mktemp("messy-ui")
    write_interchange_files(city, folder, messy=True, seed=11)
    return folder


@pytest.fixture
def lead_store(store_path: Path, sim: Simulator) -> Path:
    """An empty test store whose project lead has enrolled the palm (first sign-in)."""
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path, scanner_factory=scanner_factory(sim))
    app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    app.close()
    return store_path


@pytest.fixture
def store_with_queue(lead_store: Path, messy_files: Path, sim: Simulator) -> Path:
    """The lead's store after students, schools, one year of enrollment and one attendance
    file were imported through the service (the attendance leaves rows to review)."""
    app = Application(lead_store, scanner_factory=scanner_factory(sim))
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    for name in (STUDENTS, SCHOOLS, ENROLLMENTS, ATTENDANCE):
        importer = signed.importing
        importer.commit(importer.preview(importer.inspect(messy_files / name)))
    assert signed.review.open_count() > 0
    app.close()
    return lead_store


def _window(qtbot: QtBot, make_shell: ShellFactory, path: Path) -> tuple[Shell, MainWindow]:
    shell = make_shell(path)
    return shell, sign_in(qtbot, shell, LEAD_LOGIN, LEAD_PASSWORD)


def _shot(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    qtbot.wait(50)  # let the layout settle (widgets added to a visible page show next turn)
    window.grab().save(str(path))


def _idle(qtbot: QtBot, page: ImportPage) -> None:
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)


def _yes(box: QMessageBox | None) -> None:
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Yes).click()


def _tiles(page: ImportPage) -> dict[str, int]:
    return {key: int(tile.value_label.text().replace(",", ""))
            for key, tile in page.preview_step.count_tiles.items() if not tile.isHidden()}


def _preview_and_commit(qtbot: QtBot, page: ImportPage) -> None:
    click(qtbot, page.mapping_step.to_preview_button)
    qtbot.waitUntil(lambda: page.step == wizard.PREVIEW, timeout=WAIT_MS)
    _commit(qtbot, page)


def _commit(qtbot: QtBot, page: ImportPage, shot: Path | None = None) -> None:
    click(qtbot, page.preview_step.commit_button)
    if shot is not None:
        assert page.confirmation is not None
        qtbot.wait(50)
        page.confirmation.grab().save(str(shot))
    _yes(page.confirmation)
    qtbot.waitUntil(lambda: page.step == wizard.RESULT, timeout=WAIT_MS)
    assert page.entry is not None and page.entry.state == IMPORTED


def test_commit_sentence_says_what_happens() -> None:
    counts = {"rows": 2176, "error_rows": 12, "rejected": 3, "review": 6, "new": 2155,
              "identical": 0, "conflicts": 0, "duplicates_in_file": 0}
    assert commit_summary(counts, overwrite=False) == (
        "エラーのある12行と照合できない3行を除いて、2,155行を取り込みます。"
        "確認待ち6行は名寄せ確認に登録されます。"
    )
    counts |= {"conflicts": 4, "identical": 10}
    assert commit_summary(counts, overwrite=True).startswith(
        "エラーのある12行、照合できない3行と取込済みと同じ10行を除いて、2,159行を取り込みます。"
        "このうち4行は、既にある記録をこのファイルの値で上書きします。"
    )


@pytest.mark.slow
def test_import_wizard_on_the_messy_city(
    qtbot: QtBot, make_shell: ShellFactory, lead_store: Path, messy_files: Path,
    screenshot_dir: Path, tmp_path: Path,
) -> None:
    _shell, window = _window(qtbot, make_shell, lead_store)
    first = ["データ概要", "取込", "名寄せ確認", "取込履歴"]
    assert [t for t in window.page_titles() if t in first] == first
    page = window.show_page("取込")
    assert isinstance(page, ImportPage) and page.step == wizard.START
    assert "先に「児童生徒基本情報」と「在籍」" in " ".join(visible_texts(page))
    _shot(qtbot, window, screenshot_dir / "import_start.png")

    # Attendance before any pupil exists: said plainly, and nothing can be imported.
    page.choose_files = lambda: [messy_files / ATTENDANCE]
    click(qtbot, page.start_step.choose_button)
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING, timeout=WAIT_MS)
    assert "まだ「児童生徒基本情報」が取り込まれていません" in page.queue_panel.order_label.text()
    click(qtbot, page.mapping_step.to_preview_button)
    qtbot.waitUntil(lambda: page.step == wizard.PREVIEW, timeout=WAIT_MS)
    assert _tiles(page)["rejected"] == _tiles(page)["rows"] > 0
    assert not page.preview_step.commit_button.isEnabled()
    assert "まだ「児童生徒基本情報」" in page.preview_step.preview_notice.text()
    click(qtbot, page.preview_step.skip_button2)
    assert page.step == wizard.FINISHED

    # Four files chosen out of order: the wizard puts the pupils and enrollments first. The
    # pupils' file comes from a school that calls the name column 児童名（戸籍）.
    students = tmp_path / "students_from_school.csv"
    text = (messy_files / STUDENTS).read_text(encoding="utf-8-sig")
    students.write_text(text.replace("氏名,", "児童名（戸籍）,", 1), encoding="utf-8-sig")
    page.choose_files = lambda: [messy_files / ATTENDANCE, messy_files / ENROLLMENTS,
                                 messy_files / SCHOOLS, students]
    click(qtbot, page.finished_step.again_button)
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING and not page.busy, timeout=WAIT_MS)
    assert [e.path.name for e in page.entries] == [students.name, SCHOOLS, ENROLLMENTS,
                                                   ATTENDANCE]
    assert "順番を並べ替えました" in page.queue_panel.order_label.text()
    assert page.mapping_step.kind_combo.currentText() == "児童生徒基本情報"
    assert page.mapping_step.confidence_label.text().startswith("確からしさ ")
    assert "児童生徒基本情報」と判断しました" in page.mapping_step.guess_label.text()
    assert page.mapping_step.rows_label.text() == "223行"
    assert page.mapping_step.encoding_label.text() == "UTF-8（BOM付き）"
    # The unknown header and the missing required column are said plainly; the wizard
    # waits until the user maps it.
    unknown = next(i for i, r in enumerate(page.mapping_step.mapping_model.rows)
                   if r.header == "児童名（戸籍）")
    assert page.mapping_step.mapping_model.rows[unknown].key is None
    assert "必須の列「氏名」がありません" in page.mapping_step.problems_label.text()
    assert not page.mapping_step.to_preview_button.isEnabled()
    _shot(qtbot, window, screenshot_dir / "import_mapping_step.png")
    assert not english_words(visible_texts(page), FILE_WORDS | {"from", "school"})
    mapping = page.mapping_step
    combo = mapping.mapping_table.indexWidget(mapping.mapping_model.index(unknown, 2))
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData("name"))  # as the user picks 氏名（必須）
    assert page.mapping_step.mapping_model.rows[unknown].key == "name"
    assert not page.mapping_step.problems_label.isVisible()
    assert page.mapping_step.mapping_model.rows[unknown].status == "変更あり（未保存）"
    click(qtbot, page.mapping_step.save_mapping_button)  # remap: remembered for this source
    _idle(qtbot, page)
    assert not page.mapping_step.mapping_model.dirty
    assert page.mapping_step.mapping_model.rows[unknown].status == "対応済み"
    assert "保存しました" in page.mapping_step.mapping_notes.text()
    _preview_and_commit(qtbot, page)
    assert page.last_result is not None and page.last_result.inserted == 223
    click(qtbot, page.result_step.next_button)
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING, timeout=WAIT_MS)
    _preview_and_commit(qtbot, page)  # schools
    click(qtbot, page.result_step.next_button)

    # Enrollments: one header mapped differently by the user, saved for this source.
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING, timeout=WAIT_MS)
    assert page.mapping_step.kind_combo.currentText() == "在籍"
    assert page.mapping_step.encoding_label.text() in ("Shift_JIS（CP932）", "UTF-8（BOM付き）")
    support_row = next(i for i, r in enumerate(page.mapping_step.mapping_model.rows)
                       if r.key == "japanese_support")
    page.mapping_step.mapping_model.set_choice(support_row, None)
    assert page.mapping_step.save_mapping_button.isEnabled()
    assert page.mapping_step.to_preview_button.text() == "対応を保存して検証に進む"
    combo = mapping.mapping_table.indexWidget(mapping.mapping_model.index(support_row, 2))
    assert combo is not None and combo.currentText() == "取り込まない"
    page.mapping_step.mapping_table.scrollTo(page.mapping_step.mapping_model.index(support_row, 0))
    _shot(qtbot, window, screenshot_dir / "import_mapping_changed.png")
    click(qtbot, page.mapping_step.to_preview_button)  # saves (remap), then previews
    qtbot.waitUntil(lambda: page.step == wizard.PREVIEW, timeout=WAIT_MS)
    assert page.preview is not None
    assert "japanese_support" not in page.preview.inspection.mapping.positions
    tiles = _tiles(page)
    assert tiles["new"] == 177 and tiles["duplicates_in_file"] == 2
    assert ("ファイル内で重複する2行を除いて、177行を取り込みます。"
            in page.preview_step.commit_text.text())
    _commit(qtbot, page)
    click(qtbot, page.result_step.next_button)

    # Attendance: linked to the pupils now, three rows wait for a person, report exported.
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING, timeout=WAIT_MS)
    click(qtbot, page.mapping_step.to_preview_button)
    op = page.op
    page.cancel_work()  # 中止 at once: nothing happens, the user is told
    qtbot.waitUntil(lambda: op is not None and not op.running and not page.busy,
                    timeout=WAIT_MS)
    assert page.step == wizard.MAPPING
    assert "検証を中止しました" in page.mapping_step.mapping_notes.text()
    click(qtbot, page.mapping_step.to_preview_button)
    qtbot.waitUntil(lambda: page.step == wizard.PREVIEW, timeout=WAIT_MS)
    tiles = _tiles(page)
    assert tiles["review"] == 3 and tiles["rejected"] == 0
    assert tiles["new"] + tiles["duplicates_in_file"] + tiles["review"] == tiles["rows"]
    assert "確認待ち3行は名寄せ確認に登録されます。" in page.preview_step.commit_text.text()
    assert not page.preview_step.overwrite_check.isVisible()  # no conflicts
    total = page.preview_step.issues_model.rowCount()
    assert total == len(page.issues) > 0
    page.preview_step.severity_combo.setCurrentIndex(page.preview_step.severity_combo.findData("参考"))
    notes = sum(i.severity == "参考" for i in page.issues)
    assert page.preview_step.issues_proxy.rowCount() == notes
    page.preview_step.severity_combo.setCurrentIndex(0)
    _shot(qtbot, window, screenshot_dir / "import_preview_report.png")
    assert not english_words(visible_texts(page), FILE_WORDS)

    page.preview_step.report_format_combo.setCurrentIndex(page.preview_step.report_format_combo.findData("cp932"))
    page.choose_report_path = lambda fmt: tmp_path / "出欠_検証結果"
    page.choose_purpose = answer_purpose
    click(qtbot, page.preview_step.export_button)
    _idle(qtbot, page)
    report = tmp_path / "出欠_検証結果.csv"
    assert report.exists() and page.last_export is not None
    with report.open(encoding="cp932", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ISSUE_HEADER == ["ファイル", "行", "列", "値", "理由", "重要度"]
    assert len(rows) == total + 1 and rows[1][0] == ATTENDANCE
    page.preview_step.report_format_combo.setCurrentIndex(page.preview_step.report_format_combo.findData("xlsx"))
    page.choose_report_path = lambda fmt: tmp_path / "出欠_検証結果.xlsx"
    page.choose_purpose = answer_purpose
    click(qtbot, page.preview_step.export_button)
    _idle(qtbot, page)
    sheet = openpyxl.load_workbook(tmp_path / "出欠_検証結果.xlsx").active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == ISSUE_HEADER
    assert "出力しました" in page.preview_step.export_status.text()

    _commit(qtbot, page, screenshot_dir / "import_confirm.png")
    assert page.last_result is not None and page.last_result.queued == 3
    assert "名寄せ確認" in page.result_step.result_hint.text()
    _shot(qtbot, window, screenshot_dir / "import_result.png")
    click(qtbot, page.result_step.next_button)
    assert page.step == wizard.FINISHED
    assert "取り込んだファイル 4件" in page.finished_step.finished_label.text()
    _shot(qtbot, window, screenshot_dir / "import_finished.png")
    qtbot.waitUntil(lambda: window.badge("名寄せ確認") == "3", timeout=WAIT_MS)

    # The pupils' file again: the saved mapping is used, nothing new, nothing to commit.
    page.choose_files = lambda: [students]
    click(qtbot, page.finished_step.again_button)
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING and not page.busy, timeout=WAIT_MS)
    assert "既に取り込まれています" in page.mapping_step.already_label.text()
    assert page.mapping_step.mapping_model.rows[unknown].key == "name"
    assert not page.mapping_step.problems_label.isVisible()
    click(qtbot, page.mapping_step.to_preview_button)
    qtbot.waitUntil(lambda: page.step == wizard.PREVIEW, timeout=WAIT_MS)
    assert not page.preview_step.commit_button.isEnabled()
    assert "すべて取込済み" in page.preview_step.preview_notice.text()


def test_review_queue_confirm_reject_and_pick_another(
    qtbot: QtBot, make_shell: ShellFactory, store_with_queue: Path, messy_files: Path,
    screenshot_dir: Path,
) -> None:
    shell, window = _window(qtbot, make_shell, store_with_queue)
    qtbot.waitUntil(lambda: window.badge("名寄せ確認") == "3", timeout=WAIT_MS)
    page = window.show_page("名寄せ確認")
    assert isinstance(page, ReviewPage)
    qtbot.waitUntil(lambda: page.loaded and not page.busy, timeout=WAIT_MS)
    assert page.items_model.rowCount() == 3
    assert page.count_label.text() == "確認待ち 3件"
    true_code = truth(messy_files).set_index(["file", "excel_row"])["address_code"]

    def expected(line: ReviewLine) -> str:
        return str(true_code[(line.item.source_name, line.item.source_row)])

    for line in page.items_model.lines:  # the true pupil is always among the candidates
        assert expected(line) in {c.address_code for c in line.item.candidates}
    line = page.current_line()
    assert line is not None
    assert page.comparison_model.columnCount() == 1 + len(line.item.candidates)
    assert page.comparison_model.headerData(0, Qt.Orientation.Horizontal) == "ファイルの行"
    texts = visible_texts(page)
    assert any("次に取り込むときは確認なしで照合されます" in t for t in texts)
    _shot(qtbot, window, screenshot_dir / "review_queue.png")
    assert not english_words(texts, FILE_WORDS)

    # The keyboard: → picks the true candidate, Enter confirms it.
    target = expected(line)
    number = [c.address_code for c in line.item.candidates].index(target)
    page.items_table.setFocus()
    page.select_candidate(0)
    for _ in range(number):
        qtbot.keyClick(page.items_table, Qt.Key.Key_Right)
    chosen = page.selected_candidate()
    assert chosen is not None and chosen.address_code == target
    first_id = line.item.id
    qtbot.keyClick(page.items_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.items_model.rowCount() == 2 and not page.busy,
                    timeout=WAIT_MS)
    assert "結び付けました" in page.status_label.text()
    assert page.current_line() is not None  # moved on to the next item
    qtbot.waitUntil(lambda: window.badge("名寄せ確認") == "2", timeout=WAIT_MS)
    signed = shell.signed
    assert signed is not None
    decided = signed.store.db.call(lambda c: imports.item(c, first_id))  # in its group's file
    assert decided is not None
    status, linked, fingerprint = decided.status, decided.pupil_id, decided.fingerprint
    pupil = signed.store.db.call(lambda c: c.execute(
        "SELECT id FROM ds_students WHERE address_code = ?", (target,)).fetchone()[0])
    assert status != "open" and linked == pupil
    assert signed.store.db.call(imports.decisions)[fingerprint] == pupil  # remembered

    # 該当者なし (asked first).
    second = page.current_line()
    assert second is not None
    click(qtbot, page.reject_button)
    _yes(page.confirmation)
    qtbot.waitUntil(lambda: page.items_model.rowCount() == 1 and not page.busy,
                    timeout=WAIT_MS)
    assert "該当者なし" in page.status_label.text()
    rejected = signed.store.db.call(lambda c: imports.item(c, second.item.id)).fingerprint
    assert signed.store.db.call(imports.decisions)[rejected] is None

    # 別の児童生徒を指定: by 宛名番号; first who it is, then the decision.
    last = page.current_line()
    assert last is not None
    dialog = page.open_other_pupil()
    assert dialog is not None
    dialog.code_edit.setText("0000000000")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "見つかりません" in dialog.error_label.text() and not page.busy,
                    timeout=WAIT_MS)
    dialog.code_edit.setText(expected(last))
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: dialog.found is not None and not page.busy, timeout=WAIT_MS)
    assert "見つかりました" in dialog.found_label.text()
    assert dialog.ok_button.text() == "この児童生徒に決める"
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: page.items_model.rowCount() == 0 and not page.busy,
                    timeout=WAIT_MS)
    assert page.item_title.text() == "確認待ちの行はありません。"
    qtbot.waitUntil(lambda: window.badge("名寄せ確認") is None, timeout=WAIT_MS)
    assert page.decided[0] == (first_id, pupil) and page.decided[1][1] is None


def test_history_lists_batches_and_rolls_one_back(
    qtbot: QtBot, make_shell: ShellFactory, store_with_queue: Path, screenshot_dir: Path,
) -> None:
    shell, window = _window(qtbot, make_shell, store_with_queue)
    page = window.show_page("取込履歴")
    assert isinstance(page, HistoryPage)
    qtbot.waitUntil(lambda: page.loaded and not page.busy, timeout=WAIT_MS)
    lines = page.model.lines
    assert [(line.id, line.kind_label) for line in lines] == [
        (4, "出欠状況（月次）"), (3, "在籍"), (2, "学校"), (1, "児童生徒基本情報")]
    assert page.model.cells(lines[0])[2:4] == (ATTENDANCE, "事業全体総括職員")
    assert page.model.cells(lines[0])[6] == "取込済み"
    assert not page.rollback_button.isEnabled()  # nothing selected

    # The pupils cannot go while later imports refer to them: the service says why.
    page.select(1)
    click(qtbot, page.rollback_button)
    _yes(page.confirmation)
    qtbot.waitUntil(lambda: page.status_label.isVisible() and not page.busy, timeout=WAIT_MS)
    assert "参照しているため取り消せません" in page.status_label.text()

    page.select(4)
    click(qtbot, page.rollback_button)
    assert page.confirmation is not None
    assert f"取込番号 4「{ATTENDANCE}」" in page.confirmation.text()
    _yes(page.confirmation)
    qtbot.waitUntil(lambda: "取り消しました" in page.status_label.text() and not page.busy
                    and page.model.lines[0].status == "rolled_back", timeout=WAIT_MS)
    assert page.model.cells(page.model.lines[0])[6] == "取り消し済み"
    assert "出欠状況（月次）" in page.status_label.text()
    page.select(4)
    assert not page.rollback_button.isEnabled()
    qtbot.waitUntil(lambda: window.badge("名寄せ確認") is None, timeout=WAIT_MS)  # queue gone
    signed = shell.signed
    assert signed is not None
    assert signed.store.db.call(lambda c: c.execute(
        "SELECT count(*) FROM ds_attendance_monthly").fetchone()[0]) == 0
    _shot(qtbot, window, screenshot_dir / "import_history.png")
    assert not english_words(visible_texts(page), FILE_WORDS | {"lead"})


def test_conflicts_offer_overwrite_and_errors_are_reported(
    qtbot: QtBot, make_shell: ShellFactory, store_with_queue: Path, messy_files: Path,
    screenshot_dir: Path, tmp_path: Path,
) -> None:
    """A corrected pupils' file: one pupil's kana changed (a conflict with what is stored),
    one row with an impossible date (an error row)."""
    lines = (messy_files / STUDENTS).read_text(encoding="utf-8-sig").splitlines()
    first, second = lines[1].split(","), lines[2].split(",")
    first[2] = "カワッタ カナ"
    second[3] = "2013年2月30日"
    lines[1], lines[2] = ",".join(first), ",".join(second)
    corrected = tmp_path / "students_corrected.csv"
    corrected.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")

    _shell, window = _window(qtbot, make_shell, store_with_queue)
    page = window.show_page("取込")
    assert isinstance(page, ImportPage)
    page.choose_files = lambda: [corrected]
    click(qtbot, page.start_step.choose_button)
    qtbot.waitUntil(lambda: page.step == wizard.MAPPING and not page.busy, timeout=WAIT_MS)
    click(qtbot, page.mapping_step.to_preview_button)
    qtbot.waitUntil(lambda: page.step == wizard.PREVIEW, timeout=WAIT_MS)
    tiles = _tiles(page)
    assert tiles["conflicts"] == 1 and tiles["error_rows"] == 1 and tiles["new"] == 0
    assert "review" not in tiles  # the master is not linked, so no 名寄せ counts
    assert page.preview_step.overwrite_check.isVisible()  # conflicts, and the lead may edit
    assert not page.preview_step.commit_button.isEnabled()
    assert "「上書きする」を選んでください" in page.preview_step.preview_notice.text()
    page.preview_step.severity_combo.setCurrentIndex(page.preview_step.severity_combo.findData("エラー"))
    assert page.preview_step.issues_proxy.rowCount() == 1
    error = page.preview_step.issues_model.rows[page.preview_step.issues_proxy.mapToSource(
        page.preview_step.issues_proxy.index(0, 0)).row()]
    # The column as the school wrote it, so they find it in their file.
    assert (error.row, error.column, error.value) == (3, "生年\u3000月日", "2013年2月30日")
    page.preview_step.overwrite_check.setChecked(True)
    assert page.preview_step.commit_button.isEnabled()
    assert page.preview_step.commit_text.text() == (
        "エラーのある1行と取込済みと同じ221行を除いて、1行を取り込みます。"
        "このうち1行は、既にある記録をこのファイルの値で上書きします。"
    )
    _shot(qtbot, window, screenshot_dir / "import_preview_conflicts.png")
    _commit(qtbot, page)
    assert page.last_result is not None and page.last_result.overwritten == 1
    assert "上書き 1行" in page.result_step.result_label.text()
