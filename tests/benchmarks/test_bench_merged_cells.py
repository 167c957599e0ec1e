"""What reading merged ranges costs on a large sheet (run on demand: -m benchmark).

A 60,000-row attendance sheet whose 年度 is merged down every class of 35 pupils (1,715
ranges), read as now against the same bytes read with the merge information ignored (what
reading cost before merged ranges were filled), and against the sheet with 年度 written in
every row: python-calamine's merged_cell_ranges and the fill must stay a small part of the
read.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from analysis import textio
from analysis.textio import read_table
from tests.benchmarks.conftest import median_seconds, report

ROWS, CLASS = 60_000, 35


def _sheet(path: Path, merged: bool) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["年度", "月", "学校コード", "学年", "組", "出席番号", "授業日数", "欠席日数"])
    for i in range(ROWS):
        first = i % CLASS == 0
        ws.append([2025 if first or not merged else None, 6, "13101", 3, i // CLASS % 5 + 1,
                   i % CLASS + 1, 20, i % 4])
    if merged:
        for start in range(0, ROWS, CLASS):
            ws.merge_cells(start_row=start + 2, start_column=1,
                           end_row=min(start + CLASS, ROWS) + 1, end_column=1)
    wb.save(path)
    return path.read_bytes()


def test_filling_merged_ranges_costs_little_of_reading_a_large_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    merged = _sheet(tmp_path / "merged.xlsx", True)
    plain = _sheet(tmp_path / "plain.xlsx", False)
    table = read_table(merged, filename="merged.xlsx")
    assert (table.frame[0] == "2025").all()  # every row read as the range's first cell
    ours = median_seconds(lambda: read_table(merged, filename="merged.xlsx"), repeat=3)
    written = median_seconds(lambda: read_table(plain, filename="plain.xlsx"), repeat=3)
    monkeypatch.setattr(textio, "_merged_ranges", lambda sheet: [])
    before = median_seconds(lambda: read_table(merged, filename="merged.xlsx"), repeat=3)
    report("read 60,000 rows, 1,715 merged 年度 ranges", ours, before, "merges ignored")
    report("read 60,000 rows, 1,715 merged 年度 ranges", ours, written, "年度 in every row")
    assert ours < before * 1.25
