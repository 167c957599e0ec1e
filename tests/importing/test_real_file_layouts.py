"""Form layouts as schools send them (issue 10, point 7): months as columns and junior-high
attendance per term are reshaped to the interchange format and imported, not refused.

The fixtures in tests/fixtures/layouts/ are written by hand with the irregularities of real
forms: CP932, a title row holding the year, a 授業日数 row, 合計/小計 rows and a 計 column,
months not filled in yet, and two-row headers (the month or term merged above its measures).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis.layouts import FIRST_ROW, month_group, term_group, year_in_text
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from tests.importing.helpers import lead_on_new_store
from toda_desktop.cli import main as cli_main
from toda_desktop.composition import SignedIn
from toda_desktop.formatting import format_phrase
from toda_desktop.importing.service import ImportPreview, issue_rows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
MONTHS_CSV = FIXTURES / "月別欠席日数_第一小_3年1組.csv"
MONTHS_XLSX = FIXTURES / "月別出欠状況_令和6年度.xlsx"
TERMS_CSV = FIXTURES / "学期別出欠_R6_第一中.csv"
TERMS_XLSX = FIXTURES / "学期別出欠_第一中.xlsx"


def import_base(signed: SignedIn) -> None:
    for name in ("students.csv", "schools.csv", "enrollments.csv"):
        signed.importing.commit(signed.importing.preview(signed.importing.inspect(FIXTURES / name)))


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    with lead_on_new_store(store_path) as signed:
        import_base(signed)
        yield signed


def preview_of(signed: SignedIn, path: Path, kind: str | None = None) -> ImportPreview:
    return signed.importing.preview(signed.importing.inspect(path, kind))


def reasons(preview: ImportPreview) -> list[str]:
    return [str(r[4]) for r in issue_rows(preview)]


def stored(signed: SignedIn, sql: str) -> list[tuple[object, ...]]:
    return signed.store.db.call(lambda c: c.execute(sql).fetchall())


# -- reading the headers and the year ---------------------------------------------------------


def test_month_and_term_headers_are_read_in_their_usual_spellings() -> None:
    assert month_group("４月") == (4, "")
    assert month_group("4月分") == (4, "")
    assert month_group("欠席日数（5月）")[0] == 5  # type: ignore[index]
    assert month_group("12月 授業日数")[0] == 12  # type: ignore[index]
    assert month_group("生年月日") is None
    assert term_group("第2学期")[0] == "2学期"  # type: ignore[index]
    assert term_group("欠席日数(前期)")[0] == "前期"  # type: ignore[index]
    assert term_group("学期") is None


def test_the_year_is_found_in_titles_and_file_names_in_wareki_and_seireki() -> None:
    assert year_in_text("令和6年度　月別欠席日数一覧") == 2024
    assert year_in_text("令和元年度") == 2019
    assert year_in_text("学期別出欠_R6_第一中.csv") == 2024
    assert year_in_text("H31年度") == 2019
    assert year_in_text("出欠_2023.xlsx") == 2023
    assert year_in_text("第一中学校") is None


# -- months as columns ------------------------------------------------------------------------


def test_months_as_columns_become_one_row_per_pupil_and_month_with_a_note(
    signed: SignedIn,
) -> None:
    preview = preview_of(signed, MONTHS_CSV)
    assert preview.kind.name == "attendance_monthly"
    notes = reasons(preview)
    assert any("月が列の様式を縦の形" in r and "4人分の10か月、40行" in r for r in notes)
    assert any("表題の「2024年度」" in r for r in notes)
    assert preview.counts["new"] == 40 and preview.can_commit
    signed.importing.commit(preview)
    rows = stored(signed, "SELECT p.address_code, a.school_year, a.month, a.school_days,"
                          " a.absence_days, a.late_count, a.source_row FROM ds_attendance_monthly a"
                          " JOIN ds_students p ON p.id = a.pupil_id ORDER BY 1, 7, 3")
    assert len(rows) == 40
    sato = [r for r in rows if r[0] == "0000100002"]
    # 佐藤 is file row 5: 4月 2 days absent of 18 school days (from the 授業日数 row).
    assert (2024, 4, 18, 2) in [r[1:5] for r in sato]
    assert {r[6] for r in sato} == {5}
    assert all(r[5] is None for r in rows)  # the form has no 遅刻: unknown, never 0


def test_the_totals_row_the_school_days_row_and_the_year_total_column_are_not_pupils(
    signed: SignedIn,
) -> None:
    report = issue_rows(preview_of(signed, MONTHS_CSV))
    by_row = {r[1]: r[4] for r in report if r[1] != ""}
    assert "集計行" in by_row[8]  # the 合計 row at the bottom
    assert "授業日数の行" in by_row[3]
    assert any("「計」" in r[4] for r in report)
    assert not any(r[5] == "エラー" for r in report)


def test_a_required_column_the_form_lacks_is_reported_once_not_as_an_error_per_row(
    signed: SignedIn,
) -> None:
    report = issue_rows(preview_of(signed, MONTHS_CSV))
    absent = [r for r in report if "遅刻・早退の欄がない" in str(r[4])]
    assert len(absent) == 1 and absent[0][5] == "注意"
    assert not any("必須項目" in str(r[4]) for r in report)


def test_months_not_filled_in_yet_are_left_out_and_said_so(signed: SignedIn) -> None:
    notes = reasons(preview_of(signed, MONTHS_CSV))
    assert any("空欄の月（8か所）" in r for r in notes)


def test_a_two_row_header_xlsx_reports_a_bad_cell_at_the_file_row_and_month(
    signed: SignedIn,
) -> None:
    preview = preview_of(signed, MONTHS_XLSX)
    assert preview.kind.name == "attendance_monthly"
    errors = [r for r in issue_rows(preview) if r[5] == "エラー"]
    assert errors == [[MONTHS_XLSX.name, 6, "6月（欠席日数）", "abc", "数値として読めません。",
                       "エラー"]]
    assert all(int(r) < FIRST_ROW for r in preview.issues["row"].dropna())
    signed.importing.commit(preview)
    rows = stored(signed, "SELECT month, school_days, absence_days, late_count,"
                          " early_leave_count, source_row FROM ds_attendance_monthly"
                          " ORDER BY source_row, month")
    assert len(rows) == 8  # 3 pupils × 3 months, less the bad cell's month
    assert rows[0] == (4, 18, 0, 1, 0, 4)


def test_the_command_line_reshapes_the_same_form_and_says_so(
    signed: SignedIn, store_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed.app.close()
    monkeypatch.setenv("TODA_PASSWORD", LEAD_PASSWORD)
    monkeypatch.setenv("TODA_USER", LEAD_LOGIN)
    out = io.StringIO()
    code = cli_main(["import", "--store", str(store_path), str(MONTHS_CSV), "--dry-run"],
                    out=out)
    text = out.getvalue()
    assert code == 0, text
    assert "出欠状況（月次）" in text and "新規 40" in text
    assert "月が列の様式を縦の形" in text


# -- terms ------------------------------------------------------------------------------------


def test_terms_as_columns_become_term_rows_with_the_year_from_the_file_name(
    signed: SignedIn,
) -> None:
    preview = preview_of(signed, TERMS_CSV)
    assert preview.kind.name == "attendance_term"
    notes = reasons(preview)
    assert any("学期が列の様式" in r for r in notes)
    assert any("ファイル名の「2024年度」" in r for r in notes)
    assert any("「年間欠席日数」" in r and "集計" in r for r in notes)
    signed.importing.commit(preview)
    rows = stored(signed, "SELECT p.address_code, t.term, t.school_days, t.absence_days"
                          " FROM ds_attendance_term t JOIN ds_students p ON p.id = t.pupil_id"
                          " ORDER BY 1, 2")
    assert len(rows) == 10  # 伊藤 and 中村 have no 3学期 yet
    assert ("0000200002", "2学期", 80, 25) in rows
    # A term total is never spread over months: the monthly table stays empty.
    assert stored(signed, "SELECT count(*) FROM ds_attendance_monthly") == [(0,)]


def test_a_per_term_workbook_with_a_merged_header_and_a_subtotal_row_imports(
    signed: SignedIn,
) -> None:
    preview = preview_of(signed, TERMS_XLSX)
    assert preview.kind.name == "attendance_term"
    assert preview.counts["new"] == 6 and preview.can_commit
    assert any(r[1] == 7 and "集計行" in str(r[4]) for r in issue_rows(preview))
    signed.importing.commit(preview)
    rows = stored(signed, "SELECT term, late_count, early_leave_count, source_row"
                          " FROM ds_attendance_term ORDER BY source_row, term")
    assert rows[:2] == [("1学期", 2, 0, 4), ("2学期", 1, 1, 4)]


def test_terms_as_rows_import_with_the_term_written_as_schools_write_it(
    signed: SignedIn,
) -> None:
    preview = preview_of(signed, FIXTURES / "学期別出欠_縦_第一中.csv")
    assert preview.kind.name == "attendance_term"
    assert preview.counts["new"] == 4
    signed.importing.commit(preview)
    assert stored(signed, "SELECT term FROM ds_attendance_term ORDER BY source_row") == [
        ("1学期",), ("2学期",), ("3学期",), ("1学期",)]


def test_a_months_as_columns_sheet_with_a_truancy_column_is_the_long_absence_survey(
    signed: SignedIn, tmp_path: Path,
) -> None:
    path = tmp_path / "長期欠席_R6.csv"
    path.write_bytes(("学校コード,学年,組,出席番号,氏名,不登校,4月,5月,6月\r\n"
                      "2101,2,1,2,渡邉　結衣,1,5,14,26\r\n").encode("cp932"))
    preview = preview_of(signed, path)
    assert preview.kind.name == "long_absence" and preview.counts["new"] == 3
    signed.importing.commit(preview)
    assert stored(signed, "SELECT month, absence_days, truancy FROM ds_long_absence"
                          " ORDER BY id") == [(4, 5, 1), (5, 14, 1), (6, 26, 1)]


def test_a_form_without_any_year_is_refused_with_a_way_to_fix_it(
    signed: SignedIn, tmp_path: Path,
) -> None:
    path = tmp_path / "月別欠席.csv"
    path.write_bytes("学校コード,学年,組,出席番号,4月,5月\r\n1101,3,1,1,0,1\r\n".encode("cp932"))
    preview = preview_of(signed, path)
    assert preview.blocking
    assert any("年度が分かりません" in r and "令和6年度" in r for r in reasons(preview))


def test_a_long_file_with_a_month_column_is_not_taken_for_a_form(signed: SignedIn,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "出欠.csv"
    path.write_text("年度,月,学校コード,学年,組,出席番号,授業日数,欠席日数,遅刻,早退\n"
                    "2024,4,1101,3,1,1,18,0,0,0\n", encoding="utf-8")
    preview = preview_of(signed, path)
    assert not any("様式" in r for r in reasons(preview))
    assert preview.counts["new"] == 1


def test_the_karte_shows_term_totals_as_terms_and_not_as_months(signed: SignedIn) -> None:
    signed.importing.commit(preview_of(signed, TERMS_CSV))
    pupil_id = int(stored(signed, "SELECT id FROM ds_students"
                                  " WHERE address_code = '0000200002'")[0][0])
    karte = signed.karte.open(pupil_id)
    chart = next(c for c in karte.charts if c.key == "attendance_term")
    assert tuple(format_phrase(x) for x in chart.x_labels) == (
        "2024年度 1学期", "2024年度 2学期", "2024年度 3学期")
    assert next(s for s in chart.series if s.key == "absence_days").values == (12.0, 25.0, 18.0)
    monthly = next(c for c in karte.charts if c.key == "attendance")
    assert not monthly.has_data
    records = signed.karte.source_records(pupil_id, chart.key, chart.x[1])
    assert [r[records.keys.index("absence_days")] for r in records.rows] == [25]
