"""Files as a city's staff write them (QA round 9): 組 written many ways, a 長期欠席 form
marked with ○ and blanks, 年度/月 in merged cells, and the overwrite list in words.

The CSV fixtures are in tests/fixtures/irregular/ (see its README); the workbooks are built
here with openpyxl, which writes real merged ranges as Excel does.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.values import MERGED_LOOK_REASON, normalize_class_name
from kernel.date_style import DateStyle
from tests.importing.helpers import lead_on_new_store
from toda_desktop.composition import SignedIn
from toda_desktop.formatting import class_text, format_placement
from toda_desktop.importing.service import ImportPreview
from toda_desktop.search.service import SearchFilters

FILES = Path(__file__).resolve().parents[1] / "fixtures" / "files"
IRREGULAR = Path(__file__).resolve().parents[1] / "fixtures" / "irregular"
REGISTER = [FILES / "students.csv", FILES / "schools.csv"]


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    with lead_on_new_store(store_path, REGISTER) as session:
        yield session


def _preview(signed: SignedIn, path: Path) -> ImportPreview:
    return signed.importing.preview(signed.importing.inspect(path))


def _rows(signed: SignedIn, sql: str, kind: str) -> list[tuple[object, ...]]:
    return signed.store.db.call(lambda c: c.execute(sql).fetchall(), kind=kind)


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copyfile(IRREGULAR / name, target)
    return target


# -- 組 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "stored"), [
    ("1組", "1"), ("１組", "1"), (" 1 ", "1"), ("01", "1"), ("3年2組", "2"), ("５年　１組", "1"),
    ("A", "A組"), ("ａ組", "A組"), ("B組", "B組"),
    ("ひまわり", "ひまわり"), ("すみれ学級", "すみれ学級"), ("なかよし", "なかよし"),
])
def test_a_class_is_stored_in_one_form_however_it_is_written(written: str, stored: str) -> None:
    assert normalize_class_name(written) == stored


def test_classes_written_1組_１組_and_1_are_one_class_in_the_store_filters_and_displays(
    signed: SignedIn, tmp_path: Path,
) -> None:
    preview = _preview(signed, _copy("enrollments_組表記.csv", tmp_path))
    assert preview.can_commit and preview.counts["error_rows"] == 0
    signed.importing.commit(preview)
    stored = _rows(signed, "SELECT s.address_code, e.class_name FROM ds_enrollments e"
                           " JOIN ds_students s ON s.id = e.pupil_id ORDER BY 1", "enrollments")
    assert stored == [("0000101", "1"), ("0000102", "1"), ("0000103", "1"),
                      ("0000104", "2"), ("0000105", "2")]
    assert signed.search.filter_options(2024, "13101", 3).classes == ("1", "2")
    found = signed.search.search("", SearchFilters(school_year=2024, class_name="1"))
    assert sorted(h.address_code or "" for h in found.hits) == ["0000101", "0000102", "0000103"]
    assert format_placement(2024, "さくら小学校", 3, "1", 2, DateStyle.WAREKI) == (
        "令和6年度 さくら小学校 3年1組 2番")

    # An attendance file naming pupils by 組 「1」「1組」「１」「２組」 links every row.
    attendance = _preview(signed, _copy("attendance_組表記.csv", tmp_path))
    assert attendance.counts["new"] == 4 and attendance.counts["error_rows"] == 0
    signed.importing.commit(attendance)
    linked = _rows(signed, "SELECT s.address_code FROM ds_attendance_monthly a"
                           " JOIN ds_students s ON s.id = a.pupil_id ORDER BY 1",
                   "attendance_monthly")
    assert linked == [("0000101",), ("0000102",), ("0000103",), ("0000104",)]


def test_a_store_that_kept_1組_as_written_shows_one_class_and_never_1組組(
    signed: SignedIn, tmp_path: Path,
) -> None:
    signed.importing.commit(_preview(signed, _copy("enrollments_組表記.csv", tmp_path)))
    # As an import before this change stored it (no migration rewrites old rows).
    signed.store.db.call(lambda c: c.execute(
        "UPDATE ds_enrollments SET class_name = '1組' WHERE seat_number = 2"
        " AND class_name = '1'"), kind="enrollments")
    assert signed.search.filter_options(2024, "13101", 3).classes == ("1", "2")
    found = signed.search.search("", SearchFilters(school_year=2024, class_name="1"))
    assert len(found.hits) == 3
    assert {class_text(h.class_name) for h in found.hits} == {"1組"}
    assert format_placement(2024, "さくら小学校", 3, "1組", 2) == (
        "2024年度 さくら小学校 3年1組 2番")
    # The same register again: the old record is the file's 「1」 (not a second enrollment),
    # and an overwrite offers to store it in the one form.
    again = _preview(signed, _copy("enrollments_組表記.csv", tmp_path))
    assert (again.counts["new"], again.counts["conflicts"]) == (0, 1)
    [change] = again.changes
    assert (change.column, change.old, change.new) == ("組", "1組", "1")
    signed.importing.commit(again, overwrite=True)
    assert _rows(signed, "SELECT DISTINCT class_name FROM ds_enrollments ORDER BY 1",
                 "enrollments") == [("1",), ("2",)]


# -- 長期欠席: ○ and blanks ---------------------------------------------------------------


def _long_absence_book(path: Path, marks: list[str | None]) -> Path:
    """A 長期欠席調査 sheet as a school fills it in: a title, the school's name, the header
    on row 3, 月 as 「6月」, 不登校 marked or left blank, one 主たる要因 not in the list, a
    blank row and a 計 row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "R6長欠"
    ws.append(["長期欠席調査（令和6年度）"])
    ws.append(["学校名：さくら小学校", None, None, None, "作成：教育相談室"])
    ws.append(["年度", "月", "宛名番号", "欠席日数", "不登校", "主たる要因"])
    factors = ["学業の不振", "家庭の事情（兄弟の世話）", None, "無気力、不安"]
    for i, mark in enumerate(marks):
        ws.append(["令和6年度", "6月", f"000010{i + 1}", 12 + i, mark, factors[i % 4]])
    ws.append([])
    ws.append(["計", None, None, sum(12 + i for i in range(len(marks))), None, None])
    wb.save(path)
    return path


def test_a_long_absence_form_marked_with_circles_reads_a_blank_box_as_not_truancy(
    signed: SignedIn, tmp_path: Path,
) -> None:
    book = _long_absence_book(tmp_path / "長期欠席_さくら小.xlsx", ["○", None, "〇", None])
    preview = _preview(signed, book)
    assert preview.counts["error_rows"] == 0 and preview.counts["new"] == 4
    notes = preview.issues.loc[preview.issues["code"] == "marks_blank", "reason"].tolist()
    assert notes == ["「不登校」は○の行を該当、空欄の行（5、7行目、2行）を該当しないものとして"
                     "読みました（○を付ける様式のため）。"]
    signed.importing.commit(preview)
    stored = _rows(signed, "SELECT s.address_code, l.absence_days, l.truancy"
                           " FROM ds_long_absence l JOIN ds_students s ON s.id = l.pupil_id"
                           " ORDER BY 1", "long_absence")
    assert stored == [("0000101", 12, 1), ("0000102", 13, 0), ("0000103", 14, 1),
                      ("0000104", 15, 0)]


def test_a_blank_box_stays_unknown_when_the_column_also_says_no_with_a_cross(
    signed: SignedIn, tmp_path: Path,
) -> None:
    book = _long_absence_book(tmp_path / "長期欠席_さくら小.xlsx", ["○", "×", None, "○"])
    preview = _preview(signed, book)
    errors = preview.issues.loc[preview.issues["severity"] == "error"]
    assert errors["row"].tolist() == [6] and errors["column"].tolist() == ["不登校"]
    assert "×・はい/いいえなども書かれている" in errors["reason"].iloc[0]
    result = signed.importing.commit(preview)
    assert result.inserted == 3  # the other rows, in one batch
    assert _rows(signed, "SELECT count(*) FROM ds_long_absence", "long_absence") == [(3,)]


# -- merged cells ------------------------------------------------------------------------


def _merged_attendance_book(path: Path) -> Path:
    """A month's attendance as a school's sheet lays it out: 年度 merged down the whole
    class, 月 merged down two blocks, a title merged across the top, a merged 備考 that
    runs past the last pupil."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["令和6年度 出欠状況（さくら小学校 3年）"])
    ws.append(["年度", "月", "宛名番号", "氏名", "授業日数", "欠席日数", "遅刻", "早退", "備考"])
    pupils = [("0000101", "青木　一郎"), ("0000102", "井上　花子"), ("0000103", "上田　健太"),
              ("0000104", "江藤　美咲"), ("0000105", "小川　翼")]
    for i, (code, name) in enumerate(pupils):
        ws.append(["令和6年度" if i == 0 else None, ("9月" if i == 0 else "10月" if i == 3
                                                      else None),
                   code, name, 20, i, 0, 0, "要観察" if i == 3 else None])
    ws.merge_cells("A1:I1")
    ws.merge_cells("A3:A7")
    ws.merge_cells("B3:B5")
    ws.merge_cells("B6:B7")
    ws.merge_cells("I6:I9")  # beyond the table: adds no rows
    wb.save(path)
    return path


def test_cells_of_a_merged_年度_and_月_read_as_the_first_cell_with_a_note(
    signed: SignedIn, tmp_path: Path,
) -> None:
    preview = _preview(signed, _merged_attendance_book(tmp_path / "出欠_さくら小_3年.xlsx"))
    assert preview.counts["error_rows"] == 0 and preview.counts["new"] == 5
    notes = preview.issues.loc[preview.issues["code"] == "merged_cells", "reason"].tolist()
    assert notes == [
        "「年度」の4、5、6、7行目（4行）は結合されたセルのため、結合範囲の先頭のセルの値で"
        "読みました。",
        "「月」の4、5、7行目（3行）は結合されたセルのため、結合範囲の先頭のセルの値で読みました。",
        "「備考」の7行目（1行）は結合されたセルのため、結合範囲の先頭のセルの値で読みました。",
    ]
    result = signed.importing.commit(preview)
    stored = _rows(signed, "SELECT s.address_code, a.school_year, a.month, a.absence_days"
                           " FROM ds_attendance_monthly a JOIN ds_students s"
                           " ON s.id = a.pupil_id ORDER BY 1", "attendance_monthly")
    assert stored == [("0000101", 2024, 9, 0), ("0000102", 2024, 9, 1),
                      ("0000103", 2024, 9, 2), ("0000104", 2024, 10, 3),
                      ("0000105", 2024, 10, 4)]
    signed.importing.rollback(result.batch_id)  # one batch: all of it goes
    assert _rows(signed, "SELECT count(*) FROM ds_attendance_monthly",
                 "attendance_monthly") == [(0,)]


def test_blank_年度_under_a_value_in_a_csv_is_an_error_that_says_why(
    signed: SignedIn, tmp_path: Path,
) -> None:
    preview = _preview(signed, _copy("attendance_結合風_cp932.csv", tmp_path))
    errors = preview.issues.loc[preview.issues["severity"] == "error"]
    assert sorted(set(errors["row"].tolist())) == [4, 5]
    assert set(errors["column"]) == {"年度", "月"}
    assert set(errors["reason"]) == {MERGED_LOOK_REASON}
    assert preview.counts["new"] == 1  # row 3 alone, nothing filled in
    result = signed.importing.commit(preview)
    assert result.inserted == 1


# -- the overwrite list ------------------------------------------------------------------


def test_the_overwrite_list_names_the_pupil_and_says_年度_and_月_as_staff_do(
    signed: SignedIn, tmp_path: Path,
) -> None:
    signed.importing.commit(_preview(signed, _merged_attendance_book(tmp_path / "a.xlsx")))
    again = tmp_path / "出欠_さくら小_3年_訂正.csv"
    again.write_text("年度,月,宛名番号,授業日数,欠席日数,遅刻,早退\n"
                     "R6,10月,００００１０４,20,5,0,0\n", encoding="utf-8")
    preview = _preview(signed, again)
    [change] = preview.changes
    assert (change.column, change.old, change.new) == ("欠席日数", "3", "5")
    assert change.text(DateStyle.WAREKI) == "江藤　美咲（宛名番号 0000104）・令和6年度・10月"
    assert change.text(DateStyle.SEIREKI) == "江藤　美咲（宛名番号 0000104）・2024年度・10月"
    assert "児童生徒ID" not in change.record
    assert not pd.isna(preview.to_overwrite["pupil_id"].iloc[0])
