"""Reading files: every trap of REFERENCE_NOTES "Japanese files" gets a clear, tested result."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.common import Cancelled
from analysis.textio import (
    MAX_CELL_CHARS,
    FileReadError,
    decode_bytes,
    list_sheets,
    read_table,
)

ROOT = Path(__file__).resolve().parents[2]
TRAP_TEXT = "宛名番号,氏名,備考\n000123,髙橋　﨑子,①～\n000456,𠮷田　太郎,NA\n"


def _values(table, header: str) -> list[str]:
    return table.frame[table.headers.index(header)].tolist()


# ------------------------------------------------------------------------------- encodings


def test_cp932_keeps_variant_kanji_circled_digits_and_fullwidth_tilde() -> None:
    data = TRAP_TEXT.replace("𠮷", "吉").encode("cp932")
    table = read_table(data, filename="school.csv")
    assert table.encoding == "cp932"
    assert _values(table, "氏名")[0] == "髙橋　﨑子"
    assert _values(table, "備考")[0] == "①～"
    assert _values(table, "備考")[0][1] == "\uff5e"  # FULLWIDTH TILDE, not WAVE DASH 〜
    assert any("Shift_JIS" in n for n in table.notes)


def test_shift_jis_2004_guess_would_corrupt_names_which_is_why_we_never_guess() -> None:
    data = "髙橋,山﨑,～".encode("cp932")
    assert data.decode("shift_jis_2004") != "髙橋,山﨑,～"  # what encoding detectors pick
    assert "郄" in data.decode("shift_jis_2004")
    assert decode_bytes(data).text == "髙橋,山﨑,～"


@pytest.mark.parametrize("char", ["①", "髙", "﨑"])
def test_shift_jis_codec_cannot_hold_common_name_characters(char: str) -> None:
    with pytest.raises(UnicodeEncodeError):
        char.encode("shift_jis")
    assert char.encode("cp932").decode("cp932") == char


def test_analysis_never_uses_an_encoding_detector() -> None:
    source = "\n".join(p.read_text("utf-8") for p in (ROOT / "analysis").rglob("*.py"))
    for name in ("chardet", "charset_normalizer", "cchardet"):
        assert f"import {name}" not in source and f"from {name}" not in source


def test_utf8_with_and_without_bom() -> None:
    plain = read_table(TRAP_TEXT.encode("utf-8"), filename="a.csv")
    bom = read_table(b"\xef\xbb\xbf" + TRAP_TEXT.encode("utf-8"), filename="a.csv")
    assert plain.encoding == "utf-8" and bom.encoding == "utf-8-sig"
    assert bom.headers[0] == "宛名番号"  # no BOM left in the first header
    assert plain.frame.equals(bom.frame)
    assert _values(bom, "氏名")[1] == "𠮷田　太郎"


def test_utf16_with_bom_tab_separated_as_excel_unicode_text() -> None:
    data = TRAP_TEXT.replace(",", "\t").encode("utf-16")
    table = read_table(data, filename="a.txt")
    assert table.source_format == "tsv"
    assert _values(table, "氏名")[0] == "髙橋　﨑子"


def test_leading_zeros_and_na_survive() -> None:
    table = read_table(TRAP_TEXT.encode("utf-8"), filename="a.csv")
    assert _values(table, "宛名番号") == ["000123", "000456"]
    assert _values(table, "備考")[1] == "NA"


def test_broken_utf8_is_reported_not_read_as_cp932() -> None:
    good = ("氏名,カナ\n" + "山田　太郎,ヤマダ タロウ\n" * 5).encode("utf-8")
    data = good + b"\xe5\xb1\n" + ("佐藤　花子,サトウ ハナコ\n" * 5).encode("utf-8")
    with pytest.raises(FileReadError, match="UTF-8") as info:
        read_table(data, filename="a.csv")
    assert info.value.row == 7


def test_undecodable_bytes_give_a_clear_error_with_the_line() -> None:
    data = "氏名\n山田\n".encode("cp932") + b"\x85\x40\x85\x40\n"
    with pytest.raises(FileReadError, match="文字コードを判別できません") as info:
        read_table(data, filename="a.csv")
    assert info.value.row == 3


# -------------------------------------------------------------------- broken file structure


def test_a_few_nul_bytes_are_removed_and_reported_per_cell() -> None:
    data = "宛名番号,氏名\n000123,山田\x00太郎\n000456,佐藤\n".encode()
    table = read_table(data, filename="a.csv")
    assert _values(table, "氏名") == ["山田太郎", "佐藤"]
    issue = table.issues.iloc[0]
    assert (issue["row"], issue["column"], issue["code"]) == (2, "氏名", "control_char")
    assert issue["severity"] == "warning" and "NUL" in issue["reason"]


def test_many_nul_bytes_mean_utf16_without_bom_or_binary() -> None:
    data = "宛名番号,氏名\n000123,山田\n".encode("utf-16-le")
    with pytest.raises(FileReadError, match="NUL"):
        read_table(data, filename="a.csv")


def test_huge_field_is_a_row_error_not_a_crash() -> None:
    big = "あ" * (MAX_CELL_CHARS + 10)
    data = f"宛名番号,備考\n000123,{big}\n000456,ふつう\n".encode()
    table = read_table(data, filename="a.csv")
    assert table.row_count == 2
    issue = table.issues[table.issues["code"] == "huge_field"].iloc[0]
    assert issue["row"] == 2 and issue["severity"] == "error"
    assert len(issue["value"]) < 200  # the report shows a cut value


def test_unclosed_quote_names_the_row() -> None:
    data = '宛名番号,備考\n000123,ok\n000456,"閉じていない\n000789,x\n'.encode()
    with pytest.raises(FileReadError, match="引用符") as info:
        read_table(data, filename="a.csv")
    assert info.value.row == 3


def test_quoted_fields_with_commas_and_newlines() -> None:
    data = '宛名番号,概要\n000123,"一行目\n二行目, 続き"\n000456,"引用""符"\n'.encode()
    table = read_table(data, filename="a.csv")
    assert _values(table, "概要") == ["一行目\n二行目, 続き", '引用"符']
    assert list(table.frame.index) == [2, 3]  # a multi-line cell is one Excel row
    assert table.issues.empty


def test_wrong_column_counts_are_row_errors() -> None:
    data = "宛名番号,氏名,性別\n000001,山田,男\n000002,1,234,女\n000003,佐藤\n000004,鈴木,女,\n"
    table = read_table(data.encode(), filename="a.csv")
    ragged = table.issues[table.issues["code"] == "ragged_row"]
    assert ragged["row"].tolist() == [3, 4]
    assert ragged["severity"].eq("error").all()
    assert "多い" in ragged.iloc[0]["reason"] and "足りない" in ragged.iloc[1]["reason"]
    assert table.row_count == 4  # row 5's trailing empty field is harmless


def test_blank_rows_are_skipped_and_row_numbers_stay_as_in_excel() -> None:
    data = "宛名番号,氏名\n000001,山田\n,\n\n000002,佐藤\n".encode()
    table = read_table(data, filename="a.csv")
    assert list(table.frame.index) == [2, 5]


def test_title_rows_above_the_header_are_skipped_and_said_so() -> None:
    data = "令和4年度 出欠状況,,\n,,\n宛名番号,氏名,性別\n000001,山田,男\n".encode("cp932")
    table = read_table(data, filename="a.csv")
    assert table.header_row == 3
    assert table.headers == ("宛名番号", "氏名", "性別")
    assert list(table.frame.index) == [4]
    assert "1～2行目は表題として読み飛ばし、3行目を見出しとして読みました。" in table.notes
    explicit = read_table(data, filename="a.csv", header_row=3)
    assert explicit.frame.equals(table.frame)


def test_one_title_row_is_named_as_one_row_not_a_range() -> None:
    data = "令和4年度 出欠状況,,\n宛名番号,氏名,性別\n000001,山田,男\n".encode("cp932")
    table = read_table(data, filename="a.csv")
    assert "1行目は表題として読み飛ばし、2行目を見出しとして読みました。" in table.notes


def test_crlf_and_empty_file() -> None:
    table = read_table("宛名番号,氏名\r\n000001,山田\r\n".encode(), filename="a.csv")
    assert _values(table, "氏名") == ["山田"]
    with pytest.raises(FileReadError, match="内容がありません"):
        read_table(b"", filename="a.csv")
    with pytest.raises(FileReadError, match="先頭の行に値がありません"):
        read_table(b",,,,\r\n,,,,\r\n , ,\r\n", filename="a.csv")  # found by QA: IndexError
    with pytest.raises(FileReadError, match="PDF"):
        read_table(b"%PDF-1.7 ...", filename="a.pdf")


# ----------------------------------------------------------------------------------- Excel


def _workbook(rows: list[list[object]], start_row: int = 1) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "出欠"
    for r, row in enumerate(rows, start=start_row):
        for c, value in enumerate(row, start=1):
            ws.cell(r, c, value)
    wb.create_sheet("メモ")["A1"] = "x"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_cells_arrive_as_text_with_types_made_explicit() -> None:
    data = _workbook(
        [
            ["宛名番号", "生年月日", "欠席日数", "入室時刻", "備考", "身長"],
            ["000123", dt.date(2015, 4, 2), 3, dt.time(8, 30), "NA", 132.5],
            [456, 44652, 0, "8:30", None, 140],
            ["000789", dt.datetime(2015, 4, 2, 0, 0), 1.0, None, "000123", None],
        ]
    )
    table = read_table(data, filename="a.xlsx")
    assert table.source_format == "xlsx" and table.sheet == "出欠"
    assert _values(table, "宛名番号") == ["000123", "456", "000789"]
    assert _values(table, "生年月日") == ["2015-04-02", "44652", "2015-04-02"]
    assert _values(table, "欠席日数") == ["3", "0", "1"]
    assert _values(table, "入室時刻") == ["08:30", "8:30", ""]
    assert _values(table, "備考") == ["NA", "", "000123"]  # "NA" is not missing
    assert _values(table, "身長") == ["132.5", "140", ""]
    assert table.numeric is not None
    assert table.numeric[0].tolist() == [False, True, False]
    assert any("シート" in n for n in table.notes)
    assert list_sheets(data) == ["出欠", "メモ"]


def test_xlsx_row_numbers_follow_excel_when_data_starts_lower() -> None:
    data = _workbook([["宛名番号", "氏名"], ["000001", "山田"], [None, None], ["2", "佐藤"]], 3)
    table = read_table(data, filename="a.xlsx")
    assert table.header_row == 3
    assert list(table.frame.index) == [4, 6]


def test_damaged_or_protected_workbooks_give_clear_errors() -> None:
    with pytest.raises(FileReadError, match="Excel"):
        read_table(b"PK\x03\x04 not really a zip", filename="a.xlsx")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    with pytest.raises(FileReadError, match="パスワード"):
        read_table(ole, filename="a.xlsx")


# ------------------------------------------------------------------------ progress, cancel


def test_progress_rises_to_one_and_cancel_stops() -> None:
    data = ("宛名番号,氏名\n" + "000001,山田\n" * 100).encode()
    seen: list[float] = []
    read_table(data, filename="a.csv", progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and seen[0] == 0.0
    with pytest.raises(Cancelled):
        read_table(data, filename="a.csv", cancel=lambda: True)


def test_read_table_from_path(tmp_path: Path) -> None:
    path = tmp_path / "出欠.csv"
    path.write_bytes(TRAP_TEXT.encode("cp932", errors="replace"))
    table = read_table(path)
    assert isinstance(table.frame, pd.DataFrame) and table.row_count == 2
