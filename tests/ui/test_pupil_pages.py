"""児童生徒検索, 児童生徒カルテ and 抽出 against a real demo store (services not mocked)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, answer_purpose, click, english_words, sign_in, visible_texts
from toda_desktop.formatting import format_phrase
from ui.extraction.condition_dialog import ConditionDialog
from ui.extraction.editors import CountEditor, ThresholdEditor
from ui.extraction.page import ExtractionPage
from ui.extraction.push_support_dialog import PushSupportDialog
from ui.karte.page import KartePage, KarteView
from ui.main_window import MainWindow
from ui.search.page import SearchPage
from ui.shell import Shell

pytestmark = pytest.mark.gui

SHOT_SIZE = (1360, 900)
# Latin words that are names of things staff know (dataset labels, IDs, file types).
ALLOWED_LATIN = {"Enter", "Tab", "Ctrl", "Google", "SSW", "CSV", "UTF", "BOM", "Excel", "xlsx",
                 "Shift", "JIS"}


def _sql(shell: Shell, sql: str, *params: object) -> list[tuple[Any, ...]]:
    signed = shell.signed
    assert signed is not None
    return signed.store.db.call(lambda c: c.execute(sql, params).fetchall())


def _window(qtbot: QtBot, shell: Shell, login: str) -> MainWindow:
    window = sign_in(qtbot, shell, login)
    window.resize(*SHOT_SIZE)
    return window


def _search_page(qtbot: QtBot, window: MainWindow) -> SearchPage:
    page = window.show_page("児童生徒検索")
    assert isinstance(page, SearchPage)
    return page


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type as a user would: ASCII key by key, Japanese as the input method commits it."""
    if text.isascii():
        qtbot.keyClicks(widget, text)
        return
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _search(qtbot: QtBot, page: SearchPage, text: str) -> None:
    page.query_edit.setFocus()
    page.query_edit.clear()
    type_text(qtbot, page.query_edit, text)
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        qtbot.keyClick(page.query_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert page.results is not None and page.results.query == text


def _karte(qtbot: QtBot, window: MainWindow) -> KarteView:
    page = window.pages.currentWidget()
    assert isinstance(page, KartePage)
    qtbot.waitUntil(lambda: page.current_view() is not None, timeout=WAIT_MS)
    view = page.current_view()
    assert view is not None
    return view


def _open_karte(qtbot: QtBot, window: MainWindow, pupil_id: int) -> KarteView:
    page = window.show_page("児童生徒カルテ")
    assert isinstance(page, KartePage)
    with qtbot.waitSignal(page.opened, timeout=WAIT_MS):
        page.open_pupil(pupil_id)
    return _karte(qtbot, window)


def _shot(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    qtbot.wait(50)
    window.grab().save(str(path))


def _scroll_to(view: KarteView, chart: QWidget) -> None:
    view.charts_scroll.verticalScrollBar().setValue(chart.pos().y() - 8)


def _long_absent(shell: Shell) -> int:
    rows = _sql(shell, "SELECT pupil_id FROM ds_long_absence WHERE absence_days >= 30"
                " AND pupil_id IN (SELECT pupil_id FROM ds_survey_responses)"
                " ORDER BY pupil_id LIMIT 1")
    return int(rows[0][0])


def _ordinary(shell: Shell) -> int:
    rows = _sql(shell, "SELECT pupil_id FROM ds_academic_results WHERE pupil_id NOT IN"
                " (SELECT pupil_id FROM ds_long_absence)"
                " AND pupil_id IN (SELECT pupil_id FROM ds_health_room_visits)"
                " AND pupil_id IN (SELECT pupil_id FROM ds_survey_responses)"
                " ORDER BY pupil_id LIMIT 1")
    return int(rows[0][0])


# -- search --------------------------------------------------------------------------------


def test_search_by_hiragana_part_of_the_kana_and_by_address_code(
    qtbot: QtBot, make_shell: ShellFactory, screenshot_dir: Path
) -> None:
    shell = make_shell()
    window = _window(qtbot, shell, "demo-lead")
    assert window.page_titles()[1:4] == ["児童生徒検索", "児童生徒カルテ", "抽出"]
    page = _search_page(qtbot, window)
    assert "宛名番号" in page.query_edit.placeholderText()
    pupil_id, kana, code = _sql(shell, "SELECT id, name_kana, address_code FROM ds_students"
                                " ORDER BY id LIMIT 1 OFFSET 40")[0]
    family = kana.split(" ")[0]
    hiragana = "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in family)
    part = hiragana[:3] if len(hiragana) >= 3 else hiragana
    _search(qtbot, page, part)
    assert pupil_id in [h.pupil_id for h in page.model.hits]
    assert page.count_label.text() == f"{len(page.model.hits)}件"
    hit = next(h for h in page.model.hits if h.pupil_id == pupil_id)
    cells = page.model.cells(hit)
    assert cells[1] == kana and cells[7] == code
    assert [page.model.headerData(i, Qt.Orientation.Horizontal) for i in range(7)] == [
        "氏名", "カナ", "学校", "学年", "組", "番号", "生年月日"]
    # Sortable by カナ.
    page.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    shown = [page.proxy.index(r, 1).data() for r in range(page.proxy.rowCount())]
    assert [s.replace(" ", "") for s in shown] == sorted(s.replace(" ", "") for s in shown)
    _shot(qtbot, window, screenshot_dir / "pupil_search.png")

    _search(qtbot, page, code)
    assert [h.pupil_id for h in page.model.hits] == [pupil_id]
    # Typing alone searches after a short pause (on the worker).
    page.query_edit.clear()
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        type_text(qtbot, page.query_edit, part)
    assert page.results is not None and page.results.query == part
    assert english_words(visible_texts(page), ALLOWED_LATIN) == []


def test_search_filters_and_truncation_note(qtbot: QtBot, make_shell: ShellFactory) -> None:
    window = _window(qtbot, make_shell(), "demo-lead")
    page = _search_page(qtbot, window)
    qtbot.waitUntil(lambda: page.school_combo.count() > 1, timeout=WAIT_MS)
    page.school_combo.setCurrentIndex(1)
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        page._filter_changed(page.school_combo)
    assert page.results is not None and page.results.hits
    school = page.school_combo.currentText()
    assert {h.school_name for h in page.model.hits} == {school}
    assert "在籍" in page.note_label.text()
    # A search that lists more than the limit says so.
    from toda_desktop.search.service import SearchResults

    assert page.results is not None
    truncated = SearchResults(page.results.query, page.results.filters, page.results.hits,
                              True, page.results.school_year)
    page._show((page.results.query, page.results.filters), truncated)
    assert page.truncated_label.isVisible() and "先頭" in page.truncated_label.text()


def test_keyboard_only_type_enter_down_enter_opens_the_karte(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    shell = make_shell()
    window = _window(qtbot, shell, "demo-lead")
    page = _search_page(qtbot, window)
    assert page.query_edit.hasFocus()
    kana = _sql(shell, "SELECT name_kana FROM ds_students ORDER BY id LIMIT 1 OFFSET 7")[0][0]
    _search(qtbot, page, kana.replace(" ", ""))
    assert page.model.hits
    first = page.model.hits[0]
    qtbot.keyClick(page.query_edit, Qt.Key.Key_Down)
    assert page.table.hasFocus() and page.table.currentIndex().row() == 0
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    view = _karte(qtbot, window)
    assert view.pupil_id == first.pupil_id
    assert view.name_label.text() == first.name


# -- karte ---------------------------------------------------------------------------------


def test_karte_of_a_long_absent_pupil_charts_and_click_through(
    qtbot: QtBot, make_shell: ShellFactory, screenshot_dir: Path
) -> None:
    shell = make_shell()
    window = _window(qtbot, shell, "demo-lead")
    pupil = _long_absent(shell)
    view = _open_karte(qtbot, window, pupil)
    header = view.header_values
    # How far each kind goes (issue 16), not the import date: 「出欠状況（月次）: 令和…分まで」.
    assert "出欠状況（月次）: 令和" in header["データの範囲"] and "分まで" in header["データの範囲"]
    ids = [i.label for i in view.karte.header.identifiers]
    assert {"生年月日", "性別", "在籍", "宛名番号", "Googleアカウント", *ids} <= set(header)
    keys = [v.chart.key for v in view.chart_views]
    assert keys[:4] == ["attendance", "health_room", "long_absence", "academic"] or \
        {"attendance", "long_absence"} <= set(keys)
    long_absence = view.chart("long_absence")
    attendance = view.chart("attendance")
    assert long_absence.plot is not None and long_absence.chart.has_data
    assert attendance.plot is not None
    assert {s.label for s in attendance.chart.series} >= {"病気欠席", "遅刻", "早退"}
    assert "令和" in long_absence.x_label(0)
    _shot(qtbot, window, screenshot_dir / "karte_long_absence.png")
    _scroll_to(view, view.chart("health_room"))
    _shot(qtbot, window, screenshot_dir / "karte_long_absence_charts.png")

    # Click the month with the most absence days (data coordinates of the bar's middle).
    sick = next(s for s in attendance.chart.series if s.key == "sick_days")
    index = max(range(len(sick.values)), key=lambda i: sick.values[i] or 0)
    assert (sick.values[index] or 0) > 0
    with qtbot.waitSignal(view.records_shown, timeout=WAIT_MS) as blocker:
        assert attendance.click_at(index, (sick.values[index] or 0) / 2)
    records = blocker.args[0]
    assert records.kind == "attendance_monthly" and len(records.rows) == 1
    panel = view.source_panel
    assert panel.isVisible() and panel.model.rowCount() == 1
    headers = [panel.model.headerData(i, Qt.Orientation.Horizontal)
               for i in range(panel.model.columnCount())]
    assert headers[-3:] == ["取込元ファイル", "取込番号", "取込日"]
    assert panel.model.cell(0, len(headers) - 3) == records.provenance[0].source_name
    assert panel.model.cell(0, len(headers) - 2) == f"#{records.provenance[0].batch_id}"
    month = int(attendance.chart.x[index].split("-")[1])
    assert f"{month}月" in panel.title_label.text()
    view.charts_scroll.ensureWidgetVisible(attendance)
    _shot(qtbot, window, screenshot_dir / "karte_click_through.png")

    # A long-absence bar leads to its survey rows.
    days = next(s for s in long_absence.chart.series if s.key == "absence_days")
    point = next(i for i, v in enumerate(days.values) if v)
    with qtbot.waitSignal(view.records_shown, timeout=WAIT_MS) as blocker:
        long_absence.choose(point)
    assert blocker.args[0].kind == "long_absence" and blocker.args[0].rows

    # 連携情報: choosing a dataset lists its records, each with provenance.
    assert "bullying_records" in view.linked_kinds()
    with qtbot.waitSignal(view.records_shown, timeout=WAIT_MS) as blocker:
        view.show_linked("consultations")
    assert view.tabs.currentWidget() is view.records_panel
    assert view.records_panel.model.rowCount() == len(blocker.args[0].rows)
    values = {i.value for i in view.karte.header.identifiers}
    assert english_words([t for t in visible_texts(view) if t not in values],
                         ALLOWED_LATIN) == []
    # Opening the same pupil again shows its tab; 最新の情報に更新 reads it again in place.
    page = window.pages.currentWidget()
    assert isinstance(page, KartePage)
    page.open_pupil(pupil)
    assert page.tabs.count() == 1 and page.current_view() is view
    with qtbot.waitSignal(page.opened, timeout=WAIT_MS):
        click(qtbot, page.refresh_button)
    assert page.tabs.count() == 1 and page.current_view() is not view


def test_karte_of_a_pupil_without_long_absence(
    qtbot: QtBot, make_shell: ShellFactory, screenshot_dir: Path
) -> None:
    shell = make_shell()
    window = _window(qtbot, shell, "demo-lead")
    view = _open_karte(qtbot, window, _ordinary(shell))
    long_absence = view.chart("long_absence")
    assert long_absence.plot is None and long_absence.empty_label.isVisible()
    assert "記録はありません" in long_absence.empty_label.text()
    assert view.chart("attendance").plot is not None
    assert view.chart("academic").plot is not None
    _shot(qtbot, window, screenshot_dir / "karte_ordinary.png")
    _scroll_to(view, view.chart("health_room"))
    _shot(qtbot, window, screenshot_dir / "karte_ordinary_charts.png")
    # A survey chart: clicking a domain's point lists that domain's answers.
    survey = next(v for v in view.chart_views if v.chart.key.startswith("survey:")
                  and v.plot is not None)
    _scroll_to(view, view.chart("academic"))
    _shot(qtbot, window, screenshot_dir / "karte_ordinary_surveys.png")
    domain = survey.chart.series[1]
    index = next(i for i, v in enumerate(domain.values) if v is not None)
    x = index + survey._shifts[domain.key]  # lines are drawn slightly apart
    with qtbot.waitSignal(view.records_shown, timeout=WAIT_MS) as blocker:
        assert survey.click_at(x, domain.values[index] or 0.0)
    rows = blocker.args[0]
    assert rows.kind == "survey_responses" and rows.rows
    domain_column = rows.headers.index("領域")
    assert {r[domain_column] for r in rows.rows} == {domain.key}
    assert domain.key in view.source_panel.title_label.text()


def test_karte_sections_follow_the_role(
    qtbot: QtBot, make_shell: ShellFactory, screenshot_dir: Path
) -> None:
    lead_shell = make_shell()
    lead = _window(qtbot, lead_shell, "demo-lead")
    pupil = _long_absent(lead_shell)
    lead_view = _open_karte(qtbot, lead, pupil)
    assert {"attendance_monthly", "bullying_records"} <= set(lead_view.linked_kinds())
    assert "bullying_records" in lead_view.record_panels
    panel = lead_view.show_record_tab("bullying_records")
    qtbot.waitUntil(lambda: panel.records is not None, timeout=WAIT_MS)
    lead_shell.sign_out()
    qtbot.waitUntil(lambda: lead_shell.main_window is None, timeout=WAIT_MS)

    liaison_shell = make_shell()
    window = _window(qtbot, liaison_shell, "demo-liaison")
    page = _search_page(qtbot, window)
    assert page.query_edit.placeholderText().endswith("宛名番号")
    view = _open_karte(qtbot, window, pupil)
    kinds = set(view.linked_kinds())
    assert "attendance_monthly" not in kinds and "bullying_records" not in kinds
    assert not view.chart_views and view.charts_tab is None
    assert not view.record_panels
    assert [i for i in view.header_values if i in ("県学調番号", "Googleアカウント")] == []
    texts = " ".join(visible_texts(view))
    assert "出欠" not in texts and "いじめ" not in texts
    # The 在籍 list leaves out the IDs the header does not show this role.
    with qtbot.waitSignal(view.records_shown, timeout=WAIT_MS):
        view.show_linked("enrollments")
    model = view.records_panel.model
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    assert "学年" in headers and "県学調番号" not in headers and "Googleアカウント" not in headers
    assert "@" not in " ".join(model.cell(0, c) for c in range(model.columnCount()))
    with qtbot.waitSignal(view.records_shown, timeout=WAIT_MS):
        view.show_linked("infant_checkups")
    _shot(qtbot, window, screenshot_dir / "karte_liaison.png")


# -- extraction ----------------------------------------------------------------------------


def _extraction_page(qtbot: QtBot, window: MainWindow) -> ExtractionPage:
    page = window.show_page("抽出")
    assert isinstance(page, ExtractionPage)
    qtbot.waitUntil(lambda: page.catalog is not None and not page.busy, timeout=WAIT_MS)
    return page


def _run(qtbot: QtBot, page: ExtractionPage, button: Any) -> Any:
    with qtbot.waitSignal(page.result_shown, timeout=WAIT_MS) as blocker:
        click(qtbot, button)
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    return blocker.args[0]


def test_extraction_preset_and_a_custom_condition(
    qtbot: QtBot, make_shell: ShellFactory, screenshot_dir: Path
) -> None:
    shell = make_shell()
    window = _window(qtbot, shell, "demo-lead")
    page = _extraction_page(qtbot, window)

    # One click: the push-support preset.
    result = _run(qtbot, page, page.push_support.run_button)
    assert len(result.conditions) == 4 and len(page.builder.root.rows()) == 4
    assert page.results.counts_table.rowCount() == 5
    assert page.results.model.rowCount() == len(result.rows)
    assert page.builder.name_edit.text().startswith("プッシュ型支援")
    _shot(qtbot, window, screenshot_dir / "extraction_preset.png")
    # Switch a criterion off: more pupils (or as many) meet the rest.
    page.builder.root.rows()[3].check.setChecked(False)
    relaxed = _run(qtbot, page, page.builder.run_button)
    assert len(relaxed.conditions) == 3 and len(relaxed.rows) >= len(result.rows)
    # Tune through the preset dialog.
    dialog = page.open_preset_settings()
    assert isinstance(dialog, PushSupportDialog)
    dialog.happy_box.setChecked(False)
    dialog.lesson_drop.setValue(5)
    with qtbot.waitSignal(page.result_shown, timeout=WAIT_MS) as blocker:
        click(qtbot, dialog.ok_button)
    tuned = blocker.args[0]
    assert len(tuned.conditions) == 3 and "5ポイント以上" in format_phrase(tuned.conditions[2])
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)

    # A custom condition: 欠席日数 ≥ 5 in a month of the base year.
    page.new_extraction()
    page.builder.name_edit.setText("欠席5日以上の月がある")
    cond = page.add_condition()
    assert isinstance(cond, ConditionDialog)
    editor = cond.choose_type("threshold")
    assert isinstance(editor, ThresholdEditor)
    assert editor.field_combo.choose("attendance_monthly", "absence_days")
    editor.op_combo.setCurrentIndex(editor.op_combo.findData(">="))
    editor.value_editor.line.setText("5")
    editor.year_combo.setCurrentIndex(editor.year_combo.findData(0))
    _shot_dialog = screenshot_dir / "extraction_condition_dialog.png"
    cond.grab().save(str(_shot_dialog))
    click(qtbot, cond.ok_button)
    qtbot.waitUntil(lambda: page.dialog is None, timeout=WAIT_MS)
    assert len(page.builder.root.rows()) == 1
    assert "欠席日数が5以上" in page.builder.root.rows()[0].text_label.text()
    custom = _run(qtbot, page, page.builder.run_button)
    assert custom.rows and custom.counts[0].pupils == len(custom.rows)
    assert all(any(isinstance(part, SchoolMonth) for part in r.values[0].value)
               for r in custom.rows)  # the month a value was seen, as a value
    expected = _sql(shell, "SELECT count(DISTINCT a.pupil_id) FROM ds_attendance_monthly a"
                    " JOIN ds_enrollments e ON e.pupil_id = a.pupil_id"
                    " AND e.school_year = a.school_year"
                    " WHERE a.absence_days >= 5 AND a.school_year = ?", custom.school_year)
    assert len(custom.rows) == expected[0][0]
    assert page.results.model.data(page.results.model.index(0, 7)) == format_phrase(
        custom.rows[0].values[0].value, DateStyle.WAREKI)
    assert "令和" in page.results.model.data(page.results.model.index(0, 7))

    # A nested OR group: … or 保健室利用 3回以上 in 30 days.
    group = page.builder.root.add_group(page.builder.root.to_node().__class__("or"))
    window_cond = page.add_condition(group)
    assert window_cond is not None
    count = window_cond.choose_type("count")
    assert isinstance(count, CountEditor)
    count.kind_combo.setCurrentIndex(count.kind_combo.findData("health_room_visits"))
    click(qtbot, window_cond.ok_button)
    qtbot.waitUntil(lambda: page.dialog is None, timeout=WAIT_MS)
    page.builder.root.op_combo.setCurrentIndex(1)  # いずれか
    combined = _run(qtbot, page, page.builder.run_button)
    assert len(combined.conditions) == 2 and len(combined.rows) >= len(custom.rows)
    page.splitter.setSizes([380, 520])
    _shot(qtbot, window, screenshot_dir / "extraction_builder_results.png")

    # Enter on a result row opens the karte.
    page.results.table.setFocus()
    page.results.table.selectRow(0)
    qtbot.keyClick(page.results.table, Qt.Key.Key_Return)
    view = _karte(qtbot, window)
    assert view.pupil_id == page.results.model.rows[page.results.proxy.mapToSource(
        page.results.table.currentIndex()).row()].pupil_id


def test_an_extraction_run_shows_progress_and_can_be_stopped(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    window = _window(qtbot, make_shell(), "demo-lead")
    page = _extraction_page(qtbot, window)
    fractions: list[float] = []
    original = page.builder.show_progress

    def record(fraction: float) -> None:
        fractions.append(fraction)
        original(fraction)

    page.builder.show_progress = record  # type: ignore[method-assign]
    assert not page.builder.cancel_button.isVisible()
    page.set_extraction(page.preset())
    with qtbot.waitSignal(page.result_shown, timeout=WAIT_MS):
        click(qtbot, page.builder.run_button)
        assert page.builder.cancel_button.isVisible() and page.builder.progress.isVisible()
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert fractions and fractions[-1] == 1.0
    assert not page.builder.cancel_button.isVisible() and not page.builder.progress.isVisible()
    first = page.result

    # 中止 right after starting: the run ends without a result.
    click(qtbot, page.builder.run_button)
    assert page.busy
    click(qtbot, page.builder.cancel_button)
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert page.builder.status_label.text() == "抽出を中止しました。"
    assert page.result is first
    assert not page.builder.cancel_button.isVisible()


def test_save_rerun_export_and_delete_an_extraction(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, screenshot_dir: Path
) -> None:
    window = _window(qtbot, make_shell(), "demo-lead")
    page = _extraction_page(qtbot, window)
    page.set_extraction(page.preset())
    page.builder.name_edit.setText("6月の見守り")
    click(qtbot, page.builder.save_button)
    qtbot.waitUntil(lambda: any(s.name == "6月の見守り" for s in page.saved.items),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert page.saved.selected() is not None
    assert page.saved.table.item(0, 0).text() == "6月の見守り"

    page.new_extraction()
    assert page.builder.root.rows() == []
    result = _run(qtbot, page, page.saved.rerun_button)
    assert result.name == "6月の見守り" and len(page.builder.root.rows()) == 4

    # Export in each format through the service.
    targets = iter([tmp_path / "out" / "見守り.csv", tmp_path / "out" / "見守り_sjis.csv",
                    tmp_path / "out" / "見守り.xlsx"])
    (tmp_path / "out").mkdir()
    page.choose_export_path = lambda _suffix, _name: next(targets)
    page.choose_purpose = answer_purpose
    for key in ("utf-8-sig", "cp932", "xlsx"):
        page.results.format_combo.setCurrentIndex(page.results.format_combo.findData(key))
        click(qtbot, page.results.export_button)
        qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
        assert page.last_export is not None and page.last_export.path.exists()
    first = tmp_path / "out" / "見守り.csv"
    assert first.read_bytes().startswith(b"\xef\xbb\xbf")
    with first.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["宛名番号", "氏名", "カナ"] and len(rows) == len(result.rows) + 1
    (tmp_path / "out" / "見守り_sjis.csv").read_bytes().decode("cp932")
    assert (tmp_path / "out" / "見守り.xlsx").stat().st_size > 0
    assert "出力しました" in page.builder.status_label.text()

    # Saving again under the same name asks first.
    click(qtbot, page.builder.save_button)
    box = page.confirmation
    assert isinstance(box, QMessageBox) and "上書き" in box.text()
    box.button(QMessageBox.StandardButton.No).click()

    click(qtbot, page.saved.delete_button)
    box = page.confirmation
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not page.saved.items and not page.busy, timeout=WAIT_MS)
    assert page.saved.table.rowCount() == 0


def test_a_role_without_export_gets_no_export_and_only_its_fields(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    window = _window(qtbot, make_shell(), "demo-truancy")
    page = _extraction_page(qtbot, window)
    assert not page.results.export_button.isVisible()
    assert page.catalog is not None
    kinds = {f.kind for f in page.catalog.fields}
    assert "attendance_monthly" in kinds
    assert "bullying_records" not in kinds and "academic_results" not in kinds
    assert page.catalog.surveys == ()


def test_search_results_can_be_exported_with_only_visible_columns(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    shell = make_shell()
    window = sign_in(qtbot, shell, "demo-lead")
    page = window.show_page("児童生徒検索")
    assert isinstance(page, SearchPage)
    page.query_edit.setText("ア")
    with qtbot.waitSignal(page.searched, timeout=WAIT_MS):
        page.search_now()
    assert page.results is not None and page.results.hits
    target = tmp_path / "一覧.xlsx"
    page.choose_export_path = lambda _suffix: target  # type: ignore[method-assign]
    page.choose_purpose = answer_purpose
    page.export_combo.setCurrentIndex(page.export_combo.findData("xlsx"))
    page.export()
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=WAIT_MS)
    sheet = load_workbook(target).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:7] == ["氏名", "カナ", "学校", "学年", "組", "番号", "生年月日"]
    assert sheet.max_row == len(page.results.hits) + 1


def test_the_preset_is_not_offered_to_a_role_it_would_only_fail_for(
    qtbot: QtBot, make_shell: ShellFactory
) -> None:
    """Found by QA: demo-truancy saw the preset button, and clicking it only said that
    県学調結果 may not be used."""
    window = _window(qtbot, make_shell(), "demo-truancy")
    page = _extraction_page(qtbot, window)
    assert not page.push_support.offered
    preset = page.push_support
    assert not preset.run_button.isVisible() and not preset.settings_button.isVisible()


def test_the_preset_settings_keep_switches_outside_the_map_off(qtbot: QtBot) -> None:
    """For a role whose map covers 県学調結果 but no surveys (a policy the lead may set)."""
    from toda_desktop.extraction import PushSupportOptions

    dialog = PushSupportDialog(PushSupportOptions(), [], [], None,
                               locked=frozenset({"lesson", "happy"}))
    qtbot.addWidget(dialog)
    assert not dialog.lesson_box.isEnabled() and not dialog.lesson_box.isChecked()
    assert "閲覧の権限がないため使えません" in dialog.happy_box.title()
    assert dialog.academic_box.isEnabled() and dialog.academic_box.isChecked()
    chosen = dialog.options()
    assert chosen.academic and not chosen.lesson and not chosen.happy
