"""Printing paints on the worker, not the GUI thread, with progress and 中止 (issue 14): the
preview's layout and the PDF's pages are made off the GUI thread, and a print stopped with
中止 is neither written nor logged as printed; the next try prints and logs once.

The real print service on a demo city, the real QPdfWriter; the renderer's page painting is
wrapped only to note which thread paints (it still paints).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kernel.date_style import DateStyle
from tests.printing.helpers import MovingClock, sign_in
from tests.ui.test_print_flow import START, _pages, _run_flow
from toda_desktop.audit.service import AuditFilter
from toda_desktop.printing.document import DocumentKind, Heading, PrintDocument, Table
from ui.background import BackgroundRunner
from ui.printing.flow import PrintFlow
from ui.printing.renderer import SheetLayout

pytestmark = pytest.mark.gui


def _thousand_rows() -> PrintDocument:
    rows = tuple((str(n), f"髙﨑 花子{n}", "戸田第一小学校", "5年2組", "欠席が続いています")
                 for n in range(1, 1001))
    return PrintDocument(
        kind=DocumentKind.ALERT_LIST, title="見守りアラートの一覧", subject="1校・1000人",
        pupils=(), blocks=(Heading("一覧"), Table(("順", "氏名", "学校", "学年・組", "主な理由"),
                                                 rows, widths=(0.6, 2, 2, 1, 4))))


def test_a_cancelled_pdf_is_neither_written_nor_logged_and_pages_paint_off_the_gui_thread(
        qtbot: QtBot, app_font: object, runner: BackgroundRunner, demo_store_path: Path,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    painted_on: set[tuple[int, int]] = set()  # (layout, thread)
    laid_out_on: set[int] = set()
    paint_page, init = SheetLayout.paint_page, SheetLayout.__init__

    def noting_paint(self: SheetLayout, *args: object) -> None:
        painted_on.add((id(self), threading.get_ident()))
        paint_page(self, *args)  # type: ignore[arg-type]

    def noting_init(self: SheetLayout, *args: object) -> None:
        laid_out_on.add(threading.get_ident())
        init(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(SheetLayout, "paint_page", noting_paint)
    monkeypatch.setattr(SheetLayout, "__init__", noting_init)
    gui = threading.get_ident()
    lead = sign_in(demo_store_path, "project_lead", MovingClock(START))
    window = QWidget()
    qtbot.addWidget(window)
    try:
        flow = PrintFlow(lead.printing, runner, DateStyle.WAREKI, window)
        told: list[str] = []
        flow.done.connect(told.append)
        preview = _run_flow(qtbot, flow, _thousand_rows)
        assert laid_out_on and gui not in laid_out_on  # the preview's layout: on the worker
        serial = preview.stamp.serial
        shown = id(preview.layout_for(preview.sheet_printer))  # Qt draws the preview itself

        pdf = tmp_path / "list.pdf"
        flow.save_pdf(str(pdf))
        assert flow.job is not None and preview.printing
        flow.cancel_job()  # 中止 (the progress dialog's button)
        qtbot.waitUntil(lambda: flow.job is None, timeout=20_000)
        assert told and "中止" in told[-1]
        assert not pdf.exists()
        assert flow.preview is preview and not preview.printing  # another try is possible
        listed = [e.serial for e in lead.printing.register(with_voided=True).entries]
        assert serial not in listed  # only reserved: not in the register of printed sheets
        assert not lead.audit_view.entries(AuditFilter(action="print"))

        flow.save_pdf(str(pdf))
        qtbot.waitUntil(lambda: flow.preview is None and not flow.busy, timeout=60_000)
        pages = _pages(pdf)
        assert len(pages) >= 20 and all(serial in text for text in pages)
        pdf_threads = {thread for layout, thread in painted_on if layout != shown}
        assert pdf_threads and gui not in pdf_threads  # every PDF page painted on the worker
        entry = next(e for e in lead.printing.register().entries if e.serial == serial)
        assert (entry.status, entry.destination, entry.pages) == (
            "outstanding", "pdf", len(pages))
        assert len(lead.audit_view.entries(AuditFilter(action="print"))) == 1
    finally:
        lead.sign_out()
