"""Laying out and painting a long printed list (issue 14): the renderer runs on the GUI
thread, so a thousand-row extraction list must stay well under a second or two.

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_print_layout.py``
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

from PySide6.QtGui import QPdfWriter
from PySide6.QtWidgets import QApplication

from kernel.date_style import DateStyle
from toda_desktop.printing.document import DocumentKind, PrintDocument, Table
from toda_desktop.printing.service import PrintSlip
from ui.printing.renderer import SheetLayout
from ui.printing.stamp import stamp_of

ROWS = 1000
BUDGET_S = 2.0


def test_a_thousand_row_list_lays_out_and_paints_within_two_seconds(
        qapp: QApplication, tmp_path: Path) -> None:
    rows = tuple((f"髙﨑 花子{n}", "タカサキ ハナコ", "戸田第一小学校", "5年2組", "12日", "4回")
                 for n in range(ROWS))
    doc = PrintDocument(kind=DocumentKind.EXTRACTION_LIST, title="抽出結果の一覧",
                        blocks=(Table(("氏名", "ふりがな", "学校", "学年・組", "条件1", "条件2"),
                                      rows),), landscape=True)
    slip = PrintSlip("TODA-2026-000001", doc.kind, "デモ 総括（demo-lead）",
                     datetime(2026, 12, 7, 9), date(2026, 12, 21), "ケース会議の資料",
                     doc.digest(), 0)
    writer = QPdfWriter(str(tmp_path / "long.pdf"))
    started = time.perf_counter()
    layout = SheetLayout(doc, stamp_of(slip, DateStyle.WAREKI), writer)
    laid = time.perf_counter()
    pages = layout.paint(writer)
    painted = time.perf_counter()
    print(f"\n[benchmark] {ROWS} rows, {pages} pages: layout {(laid - started) * 1000:.0f} ms, "
          f"paint {(painted - laid) * 1000:.0f} ms")
    assert painted - started < BUDGET_S
