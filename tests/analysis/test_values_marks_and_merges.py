"""Reading rules for what staff's sheets do: ○-only yes/no columns and merged cells."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from analysis.specs import FieldSpec
from analysis.tally import ColumnTally
from analysis.textio import read_table
from analysis.values import MERGED_LOOK_REASON, parse_column

TRUANCY = FieldSpec("truancy", "不登校", "bool", required=True)
SPECIAL = FieldSpec("special_class", "特別支援学級", "bool")


def _column(values: list[str], col: FieldSpec = TRUANCY,
            tally: ColumnTally | None = None) -> tuple[list[object], pd.DataFrame]:
    typed, issues = parse_column(pd.Series(values, index=range(4, 4 + len(values))), col,
                                 tally=tally)
    return [None if pd.isna(v) else bool(v) for v in typed], issues


def test_a_required_column_of_circles_and_blanks_reads_blanks_as_no_with_one_note() -> None:
    values, issues = _column(["○", "", "◯", " "])
    assert values == [True, False, True, False]
    assert issues["severity"].tolist() == ["note"]


def test_blanks_stay_unknown_where_the_column_also_holds_other_spellings() -> None:
    for other in ("×", "1", "はい", "0"):
        values, issues = _column(["○", other, ""])
        assert values[2] is None
        assert issues.loc[issues["severity"] == "error", "row"].tolist() == [6]


def test_an_optional_column_of_circles_keeps_blanks_unknown() -> None:
    values, issues = _column(["○", ""], SPECIAL)
    assert values == [True, None] and issues.empty


def test_a_file_read_in_chunks_that_changes_its_marks_midway_cannot_be_committed() -> None:
    tally = ColumnTally()
    _column(["○", ""], tally=tally)
    _column(["×", "○"], tally=tally)
    found = tally.issues()
    assert found.loc[found["code"] == "marks_mixed", "severity"].tolist() == ["error"]
    assert found.loc[found["code"] == "marks_mixed", "row"].isna().all()  # file level


def _book(merges: list[str], rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_merged_ranges_in_the_header_and_past_the_table_change_nothing() -> None:
    data = _book(["A1:D1", "A2:A3", "D4:D9"], [
        ["出欠一覧"], ["学校コード", "宛名番号", "欠席日数", "備考"], [None, None, None, None],
        ["01", "0000101", 3, "要観察"], ["01", "0000102", 0, None],
    ])
    table = read_table(data, filename="x.xlsx")
    assert table.frame.loc[5, 3] == "要観察"  # the range's rows with data are filled
    assert list(table.frame.index) == [4, 5]  # its rows past the table add none
    assert table.headers == ("学校コード", "宛名番号", "欠席日数", "備考")


def test_a_merged_code_cell_keeps_its_number_flag_for_the_lost_zeros_check() -> None:
    data = _book(["A2:A4"], [["学校コード", "宛名番号"], [13101, "0000101"],
                              [None, "0000102"], [None, "0000103"]])
    table = read_table(data, filename="x.xlsx")
    assert table.frame[0].tolist() == ["13101"] * 3
    assert table.numeric is not None and table.numeric[0].tolist() == [True] * 3


def test_only_an_empty_cell_under_a_value_is_told_it_may_be_a_merged_looking_blank() -> None:
    days = FieldSpec("absence_days", "欠席日数", "int", required=True)
    _, issues = parse_column(pd.Series(["", "1", "-", ""], index=[2, 3, 4, 5]), days)
    errors = issues.loc[issues["severity"] == "error"].set_index("row")["reason"]
    assert errors[2] == errors[4] == "必須項目が空欄です。"  # nothing above / a dash
    assert errors[5] == MERGED_LOOK_REASON
