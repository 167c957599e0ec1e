"""Real files' values: Japanese codes, unknown listed values, repeated visits, totals rows.

The fixtures in tests/fixtures/values/ are written by hand with the irregularities of the files
an independent city sent (issue 10): a CP932 health-room log with its own 症状 words, two
visits of one pupil on one day without 入室時刻, rows repeated verbatim; survey items and
answers whose 設問コード are Japanese; a per-school attendance workbook ending in 合計.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.cli import main
from toda_desktop.composition import Application, SignedIn
from toda_desktop.importing.service import ImportPreview, issue_rows
from toda_desktop.store_setup import create_empty_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "values"


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path)
    session = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    students = session.importing.preview(session.importing.inspect(FIXTURES / "students.csv"))
    session.importing.commit(students)
    yield session
    app.close()


def _file(name: str, tmp_path: Path) -> Path:
    """A copy under the name the office gave it (the source key is the file name)."""
    target = tmp_path / name
    shutil.copyfile(FIXTURES / name, target)
    return target


def _preview(signed: SignedIn, path: Path, **options: bool) -> ImportPreview:
    return signed.importing.preview(signed.importing.inspect(path), **options)


def _stored(signed: SignedIn, table: str, columns: str) -> list[tuple[object, ...]]:
    return signed.store.db.call(lambda c: c.execute(
        f"SELECT {columns} FROM {table} ORDER BY source_row, id").fetchall())


def _accounted(signed: SignedIn, preview: ImportPreview, data_rows: range) -> None:
    """Every data row of the file is stored, waiting for review, or in the report with a
    reason (rows a summary warning names are stored, so they count as stored)."""
    table = preview.kind.table
    stored = {int(r[0]) for r in _stored(signed, table, "source_row")}
    reported = {int(r[1]) for r in issue_rows(preview) if r[1] != "" and r[4]}
    waiting = {r[0] for r in preview.to_review}
    missing = [r for r in data_rows if r not in stored | reported | waiting]
    assert not missing, f"rows neither stored nor reported: {missing}"


# ----------------------------------------------------------------------- health-room visits


def test_unknown_symptoms_keep_their_rows_and_are_reported_once_per_value_with_counts(
    signed: SignedIn, tmp_path: Path
) -> None:
    preview = _preview(signed, _file("hoken_2024.csv", tmp_path))
    assert preview.counts["error_rows"] == 0
    unknown = preview.issues[preview.issues["code"] == "unknown_value"]
    counts = {v: r for v, r in zip(unknown["value"], unknown["reason"], strict=True)}
    assert set(counts) == {"頭痛", "腹痛", "発熱", "COVID疑い"}
    assert "（3行: 8、9、10行目）" in counts["発熱"] and "（2行: 4、5行目）" in counts["腹痛"]
    offered = {(u.column_key, u.value, u.count) for u in preview.unknown_values}
    assert ("symptom", "発熱", 3) in offered and all(not u.required for u in
                                                      preview.unknown_values)
    signed.importing.commit(preview)
    symptoms = [r[0] for r in _stored(signed, "ds_health_room_visits", "symptom")]
    assert symptoms == ["頭痛", "外科", "腹痛", "内科", "心因", "発熱", None, "COVID疑い"]
    _accounted(signed, preview, range(2, 14))


def test_two_visits_on_one_day_without_a_time_in_commit_as_two_visits(
    signed: SignedIn, tmp_path: Path
) -> None:
    """Found on a real city: the preview skipped keys with a blank 入室時刻, the store's index
    compared them as '' and the commit died with 「データベースの操作に失敗しました」."""
    preview = _preview(signed, _file("hoken_2024.csv", tmp_path))
    assert not (preview.issues["code"] == "duplicate_conflict").any()
    result = signed.importing.commit(preview)
    assert result.inserted == preview.counts["new"] == 8
    visits = _stored(signed, "ds_health_room_visits", "source_row, visit_date, time_in, symptom")
    assert (2, "2024-05-07", None, "頭痛") in visits and (3, "2024-05-07", None, "外科") in visits
    assert (6, "2024-05-09", "08:40", "内科") in visits


def test_identical_rows_are_reported_with_their_count_and_can_be_kept_as_repeats(
    signed: SignedIn, tmp_path: Path
) -> None:
    path = _file("hoken_2024.csv", tmp_path)
    preview = _preview(signed, path)
    notes = preview.issues[preview.issues["code"] == "duplicate_row"]
    assert notes["row"].tolist() == [5, 9, 10, 12]
    by_row = dict(zip(notes["row"].tolist(), notes["reason"], strict=True))
    assert by_row[9].startswith("8行目と同じ内容です（同じ内容の行は3行）。")
    assert "--keep-repeats" in by_row[9]
    assert preview.counts["repeats"] == 4 and len(preview.repeat_rows) == 4
    signed.importing.commit(preview)
    again = _preview(signed, path)
    assert again.counts["new"] == 0 and again.counts["repeats"] == 4
    kept = signed.importing.commit(again, keep_repeats=True)
    assert kept.inserted == 4
    rows = _stored(signed, "ds_health_room_visits", "source_row, occurrence")
    assert (9, 2) in rows and (10, 3) in rows and (12, 2) in rows
    third = _preview(signed, path, keep_repeats=True)
    assert third.counts["new"] == 0 and third.counts["identical"] == 12
    assert not third.changes_with(False, True)


def test_keeping_repeats_in_the_preview_counts_them_as_new_rows(
    signed: SignedIn, tmp_path: Path
) -> None:
    preview = _preview(signed, _file("hoken_2024.csv", tmp_path), keep_repeats=True)
    assert preview.counts["duplicates_in_file"] == 0 and preview.counts["new"] == 12
    notes = preview.issues[preview.issues["code"] == "repeated_row"]
    assert any(r.startswith("同じ内容の行が3行あります（8、9、10行目）。") for r in notes["reason"])
    assert signed.importing.commit(preview).inserted == 12


def test_a_value_mapped_in_the_wizard_is_saved_for_the_source_and_applied(
    signed: SignedIn, tmp_path: Path
) -> None:
    inspection = signed.importing.inspect(_file("hoken_2024.csv", tmp_path))
    signed.importing.save_value_map(inspection, "symptom", {"発熱": "内科", "頭痛": "内科"})
    preview = signed.importing.preview(inspection)
    assert {u.value for u in preview.unknown_values} == {"腹痛", "COVID疑い"}
    # The next file of the same source (another month) finds the mapping saved.
    later = tmp_path / "hoken_2025.csv"
    later.write_bytes((FIXTURES / "hoken_2024.csv").read_bytes())
    assert signed.importing.inspect(later).value_maps == {
        "symptom": {"発熱": "内科", "頭痛": "内科"}}
    with pytest.raises(Exception, match="内科、外科、心因、その他"):
        signed.importing.save_value_map(inspection, "symptom", {"腹痛": "おなか"})


# ------------------------------------------------------------------------------------ surveys


def test_survey_items_and_answers_with_japanese_item_codes_import(
    signed: SignedIn, tmp_path: Path
) -> None:
    items = _preview(signed, _file("survey_items.csv", tmp_path))
    assert items.counts["error_rows"] == 0
    signed.importing.commit(items)
    codes = [r[0] for r in _stored(signed, "ds_survey_items", "item_code")]
    assert codes == ["LESSON_わかる", "LESSON_楽しい", "友人_1", "012"]
    answers = _preview(signed, _file("survey_answers_2024.csv", tmp_path))
    conflicts = answers.issues[answers.issues["code"] == "duplicate_conflict"]
    assert conflicts["row"].tolist() == [4, 5]  # blank 回 and 教科 are one key, as stored
    assert signed.importing.commit(answers).inserted == 4
    stored = _stored(signed, "ds_survey_responses", "survey_code, item_code, round")
    assert ("学校生活", "友人_1", 1) in stored and ("学校生活", "012", None) in stored
    _accounted(signed, answers, range(2, 8))


def test_re_importing_answers_with_some_blank_rounds_finds_them_identical(
    signed: SignedIn, tmp_path: Path
) -> None:
    """A column of whole numbers with blanks read back from the store as 1.0: the keys did
    not match, the rows looked new and the commit died on the unique index."""
    path = _file("survey_answers_2024.csv", tmp_path)
    signed.importing.commit(_preview(signed, path))
    again = _preview(signed, path)
    assert again.counts["new"] == 0 and again.counts["identical"] == 4
    assert again.counts["conflicts"] == 0


# ------------------------------------------------------------- command line, totals rows


def _attendance_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "第一小学校"
    sheet.append(["宛名番号", "氏名", "年度", "月", "授業日数", "欠席日数", "遅刻", "早退"])
    sheet.append(["0000100001", "山田 太郎", "令和6年度", 5, 20, 1, 0, 0])
    sheet.append(["0000100003", "鈴木 計", "令和6年度", 5, 20, 0, 1, 0])
    sheet.append(["0000100004", "高橋 美咲", "令和6年度", 5, 20, 2, 0, 1])
    sheet.append([None, "合　計", None, None, 60, 3, 1, 1])
    sheet.append([None, None, None, None, None, None, None, None])
    sheet.append(["平均", None, None, None, 20, 1, 0.33, 0.33])
    book.save(path)


def test_an_attendance_workbook_with_totals_rows_imports_with_exit_code_0(
    signed: SignedIn, store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook = tmp_path / "出欠_第一小_2024-05.xlsx"
    _attendance_workbook(workbook)
    signed.app.close()
    monkeypatch.setenv("TODA_PASSWORD", LEAD_PASSWORD)
    monkeypatch.setenv("TODA_USER", LEAD_LOGIN)
    report = tmp_path / "report.csv"
    out = io.StringIO()
    dry = main(["import", "--store", str(store_path), "--dry-run", "--report", str(report),
                "--purpose", "学校への情報提供",
                str(workbook)], out=out)
    assert dry == 0, out.getvalue()
    assert "新規 3" in out.getvalue() and "集計行 2行は取り込みません" in out.getvalue()
    lines = pd.read_csv(report, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    totals = lines[lines["理由"].str.contains("集計行")]
    assert totals["行"].tolist() == ["5", "7"] and totals["値"].tolist() == ["合　計", "平均"]
    out = io.StringIO()
    assert main(["import", "--store", str(store_path), str(workbook)], out=out) == 0
    assert "3行を追加" in out.getvalue()


def test_the_command_line_dry_run_predicts_the_commit_and_keeps_repeats_on_request(
    signed: SignedIn, store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file("hoken_2024.csv", tmp_path)
    signed.app.close()
    monkeypatch.setenv("TODA_PASSWORD", LEAD_PASSWORD)
    monkeypatch.setenv("TODA_USER", LEAD_LOGIN)
    out = io.StringIO()
    main(["import", "--store", str(store_path), "--dry-run", "--keep-repeats", str(path)],
         out=out)
    assert "新規 12" in out.getvalue()
    out = io.StringIO()
    code = main(["import", "--store", str(store_path), "--keep-repeats", str(path)], out=out)
    assert "12行を追加" in out.getvalue(), out.getvalue()
    assert code == 0


def test_a_required_listed_column_refuses_unknown_values_until_they_are_mapped(
    signed: SignedIn, tmp_path: Path
) -> None:
    path = tmp_path / "県学調_2024.csv"
    path.write_text("宛名番号,年度,教科,学力レベル\n0000100001,2024,算数科,5\n"
                    "0000100002,2024,国語,6\n0000100003,2024,算数科,4\n", encoding="cp932")
    inspection = signed.importing.inspect(path)
    preview = signed.importing.preview(inspection)
    assert preview.counts["error_rows"] == 2
    reason = preview.issues.loc[preview.issues["code"] == "enum", "reason"].iloc[0]
    assert "（国語、算数、数学、英語、理科、社会）" in reason
    (unknown,) = preview.unknown_values
    assert (unknown.value, unknown.count, unknown.required) == ("算数科", 2, True)
    signed.importing.save_value_map(inspection, "subject", {"算数科": "算数"})
    mapped = signed.importing.preview(inspection)
    assert mapped.counts["error_rows"] == 0 and mapped.counts["new"] == 3


def test_repeats_kept_by_an_earlier_import_count_as_identical_and_a_reimport_exits_0(
    signed: SignedIn, store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file("hoken_2024.csv", tmp_path)
    signed.importing.commit(_preview(signed, path, keep_repeats=True))
    again = _preview(signed, path)
    assert again.counts["repeats"] == 0 and again.counts["duplicates_in_file"] == 0
    assert again.counts["identical"] == 12 and not again.changes_with(False)
    signed.app.close()
    monkeypatch.setenv("TODA_PASSWORD", LEAD_PASSWORD)
    monkeypatch.setenv("TODA_USER", LEAD_LOGIN)
    out = io.StringIO()
    assert main(["import", "--store", str(store_path), str(path)], out=out) == 0, out.getvalue()


def test_visits_that_differ_as_written_stay_two_visits_when_their_values_map_alike(
    signed: SignedIn, tmp_path: Path
) -> None:
    path = tmp_path / "保健室来室記録_5月.csv"
    path.write_text("宛名番号,氏名,来室日,来室時刻,退室時刻,症状\n"
                    "0000100001,山田 太郎,2024/5/12,,,頭痛\n"
                    "0000100001,山田 太郎,2024/5/12,,,腹痛\n"
                    "0000100001,山田 太郎,2024/5/12,,,腹痛\n", encoding="cp932")
    inspection = signed.importing.inspect(path)
    inspection = signed.importing.save_value_map(inspection, "symptom",
                                                {"頭痛": "内科", "腹痛": "内科"})
    preview = signed.importing.preview(inspection)
    assert preview.counts["new"] == 2 and preview.counts["duplicates_in_file"] == 1
    note = preview.issues.loc[preview.issues["code"] == "duplicate_row", "row"].tolist()
    assert note == [4]  # only the 腹痛 written twice
    signed.importing.commit(preview)
    assert sorted(_stored(signed, "ds_health_room_visits", "symptom, occurrence")) == [
        ("内科", 1), ("内科", 2)]
    again = signed.importing.preview(signed.importing.inspect(path))
    assert again.counts["new"] == 0 and again.counts["identical"] == 2


def test_a_corrected_visit_is_reported_as_a_possible_correction_not_silently_added(
    signed: SignedIn, tmp_path: Path
) -> None:
    first = tmp_path / "保健室_6月.csv"
    first.write_text("宛名番号,氏名,来室日,来室時刻,退室時刻,症状\n"
                     "0000100001,山田 太郎,2024/6/3,08:30,08:50,頭痛\n"
                     "0000100001,山田 太郎,2024/6/4,,,頭痛\n", encoding="cp932")
    signed.importing.commit(_preview(signed, first))
    corrected = tmp_path / "保健室_6月_修正版.csv"
    corrected.write_text("宛名番号,氏名,来室日,来室時刻,退室時刻,症状\n"
                         "0000100001,山田 太郎,2024/6/3,08:30,08:55,頭痛\n"
                         "0000100001,山田 太郎,2024/6/4,,,腹痛\n", encoding="cp932")
    preview = _preview(signed, corrected)
    flagged = preview.issues[preview.issues["code"] == "possible_correction"]
    assert flagged["row"].tolist() == [2]  # a visit without 入室時刻 names no occasion
    assert "前の取込を取り消して" in flagged["reason"].iloc[0]
    assert preview.counts["new"] == 2
