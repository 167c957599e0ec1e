"""The import checks a file's columns compact (one typed value per distinct text, issue 10
point 10: memory): every finding and every value must be what the plain parse gives."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from analysis.headers import map_headers
from analysis.specs import FieldSpec
from analysis.textio import read_table
from analysis.values import parse_columns, parse_table

COLUMNS = [
    FieldSpec("address_code", "宛名番号", "digits", required=True),
    FieldSpec("school_year", "年度", "school_year", required=True),
    FieldSpec("visit_date", "来室日", "date"),
    FieldSpec("symptom", "症状", "enum", values=("内科", "外科")),
    FieldSpec("absence_days", "欠席日数", "int", min=0, max=31),
    FieldSpec("rate", "割合", "percent", min=0, max=100),
    FieldSpec("note", "備考", "text"),
]


def _same(raw_bytes: bytes, filename: str) -> None:
    raw = read_table(raw_bytes, filename=filename)
    mapping = map_headers(raw.headers, COLUMNS)
    plain = parse_table(raw, mapping, COLUMNS)
    compact = parse_table(raw, mapping, COLUMNS, compact=True)
    pd.testing.assert_frame_equal(compact.issues, plain.issues)
    for key in plain.frame.columns:
        column = compact.frame[key]
        assert isinstance(column.dtype, pd.CategoricalDtype)
        own = column.astype(column.cat.categories.dtype)
        pd.testing.assert_series_equal(own, plain.frame[key], check_names=False)
    assert set(plain.issues["code"]) >= {"short_code", "unknown_value", "required", "range"}


def _rows() -> list[list[object]]:
    rows: list[list[object]] = []
    for i in range(40):
        code: object = f"{100001 + i % 7:08d}"
        if i in (5, 17):
            code = str(100001 + i % 7)  # zeros lost
        rows.append([code, "R6" if i % 3 else "2024", f"2024/5/{1 + i % 28}",
                     ["内科", "頭痛", "外科", "", "腹痛"][i % 5], str(i % 40),
                     "0.5" if i % 2 else "0.25", "" if i % 4 else "メモ"])
    rows[9][0] = ""  # a required code missing
    return rows


def test_a_csv_checked_compact_gives_the_plain_checks_values_and_findings() -> None:
    header = "宛名番号,年度,来室日,症状,欠席日数,割合,備考\n"
    text = header + "".join(",".join(str(v) for v in r) + "\n" for r in _rows())
    _same(text.encode("utf-8"), "a.csv")


def test_a_workbook_with_numeric_codes_checked_compact_gives_the_plain_findings() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["宛名番号", "年度", "来室日", "症状", "欠席日数", "割合", "備考"])
    for r in _rows():
        sheet.append([int(r[0]) if r[0] and r[0].startswith("1") else r[0], *r[1:]])
    out = io.BytesIO()
    book.save(out)
    _same(out.getvalue(), "a.xlsx")


@pytest.mark.parametrize("values", [["0.12", "0.08", "0.2", "0.15"], ["12", "8", "20", "15"]])
def test_the_fraction_warning_is_the_same_on_a_compact_column(values: list[str]) -> None:
    rate = FieldSpec("rate", "割合", "percent", min=0, max=100)
    texts = pd.DataFrame({"rate": values})
    plain, compact = (parse_columns(texts, [rate], compact=c) for c in (False, True))
    pd.testing.assert_frame_equal(compact.issues, plain.issues)
