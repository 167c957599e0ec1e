"""Reading a text file in pieces gives exactly what reading it whole gives.

Files are read in line-aligned pieces of CHUNK_BYTES; here the pieces are made a few bytes
long so that every boundary case (a quoted field over a boundary, CRLF, a BOM, a title row,
ragged and blank rows, control characters, an error's line number) falls on one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import textio
from analysis.textio import FileReadError, RawTable, read_table

FILES = {
    "cp932 with title, blank and ragged rows": (
        "令和6年度 出欠,,\n,,\n宛名番号,氏名,欠席日数\n000123,髙橋　﨑子,3\n\n"
        "000124,山田,1,余分\n000125,佐藤\n , ,\n000126,①～,０\n"
    ).encode("cp932"),
    "utf-8 with BOM and CRLF": "\ufeff宛名番号,氏名\r\n000001,𠮷田\r\n000002,斎藤\r\n".encode(),
    "quoted fields over many lines": (
        '宛名番号,概要\n000123,"一行目\n二行目, 続き\n三行目"\n000456,"引用""符"\n'
        '000789,"a\nb\nc\nd\ne"\n000790,x\n'
    ).encode(),
    "tab separated with spaces-only cells": "宛名番号\t氏名\n001\t　\n002\t山田\n".encode(),
    "control characters": "宛名番号,氏名\n001,山田\x00太郎\n002,佐藤\x1f\n003,x\n".encode(),
    "no newline at the end": "宛名番号,氏名\n001,山田\n002,佐藤".encode("cp932"),
}


def table_facts(table: RawTable) -> tuple[object, ...]:
    frame = table.frame
    return (
        table.headers, table.header_row, table.source_format, table.encoding, table.notes,
        list(frame.index), {c: frame[c].tolist() for c in frame.columns},
        table.issues.to_dict("records"),
    )


@pytest.fixture
def tiny_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textio, "CHUNK_BYTES", 7)


@pytest.mark.parametrize("name", list(FILES))
def test_reading_in_tiny_pieces_equals_reading_whole(name: str, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    data = FILES[name]
    whole = table_facts(read_table(data, filename="a.csv"))
    monkeypatch.setattr(textio, "CHUNK_BYTES", 7)
    assert table_facts(read_table(data, filename="a.csv")) == whole
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    assert table_facts(read_table(path)) == whole


@pytest.mark.usefixtures("tiny_pieces")
def test_errors_found_in_a_later_piece_name_the_right_line() -> None:
    broken = ("氏名,カナ\n" + "山田　太郎,ヤマダ タロウ\n" * 5).encode() + b"\xe5\xb1\n"
    with pytest.raises(FileReadError, match="UTF-8") as info:
        read_table(broken + "佐藤,サトウ\n".encode(), filename="a.csv")
    assert info.value.row == 7
    cp932 = "氏名\n山田\n".encode("cp932") + b"\x85\x40\x85\x40\n"
    with pytest.raises(FileReadError, match="文字コードを判別できません") as info:
        read_table(cp932, filename="a.csv")
    assert info.value.row == 3
    with pytest.raises(FileReadError, match="引用符") as info:
        read_table('宛名番号,備考\n000123,ok\n000456,"閉じていない\n000789,x\n'.encode(),
                   filename="a.csv")
    assert info.value.row == 3
    with pytest.raises(FileReadError, match="内容がありません"):
        read_table(b"\n \n\n", filename="a.csv")


def test_columns_are_compact_categoricals_of_the_cell_text() -> None:
    rows = "".join(f"{i:06d},{i % 12 + 1},0\n" for i in range(3000))
    table = read_table(("宛名番号,月,欠席\n" + rows).encode(), filename="a.csv")
    month = table.frame[1]
    assert isinstance(month.dtype, pd.CategoricalDtype)
    assert month.cat.codes.dtype.itemsize == 1  # 13 distinct values: one byte per row
    assert table.frame[0].iloc[0] == "000000" and month.iloc[11] == "12"
