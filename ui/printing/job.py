"""Laying a sheet out and painting its pages on the worker thread, with progress and 中止.

Qt allows this: QTextDocument is reentrant, and QPainter may paint onto QPrinter, QPdfWriter
and QImage outside the GUI thread (Qt's "Thread-Support in Qt Modules": painting in
threads; only QWidget, and on some platforms QPixmap, must be painted on the GUI thread).
What stays on the GUI thread is the preview's own page drawing — QPrintPreviewDialog asks
for it through ``paintRequested`` there and nowhere else — and the print dialog; the
preview's layout is made here beforehand, so that the GUI thread only draws.

A print is logged (``commit``) only after every page was painted and no 中止 came: a job
stopped before that ends with :class:`OperationCancelled`, the printer's job aborted (nothing
reaches the spooler) and no file written, so a cancelled print leaves no trace as printed.
After the log the job is finished (the printer's job sent, the PDF's file written): a 中止
then comes too late, and the print is reported as done.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice
from PySide6.QtGui import QPagedPaintDevice, QPainter, QPdfWriter
from PySide6.QtPrintSupport import QPrinter

from toda_desktop.errors import OperationCancelled, UserFacingError
from toda_desktop.printing.document import PrintDocument
from ui.background import TaskContext
from ui.printing.renderer import SheetLayout
from ui.printing.stamp import Stamp

CANNOT_OPEN = "印刷先を開けませんでした。プリンターの状態を確かめて、もう一度お試しください。"
PDF_CREATOR = "戸田市教育データ（Toda Education Data Desktop）"
# The share of the progress bar the layout takes before the first page is painted.
LAYOUT_SHARE = 0.2


def prepared_layout(document: PrintDocument, stamp: Stamp,
                    device: QPagedPaintDevice) -> SheetLayout:
    """The sheet laid out for ``device`` on the worker, handed to the GUI thread (its text
    document then belongs there: the preview draws it)."""
    layout = SheetLayout(document, stamp, device)
    layout.pages  # noqa: B018  (lays the whole document out now, not on the GUI thread)
    app = QCoreApplication.instance()
    if app is not None:
        layout.text.moveToThread(app.thread())
    return layout


def paint_job(document: PrintDocument, stamp: Stamp, device: QPagedPaintDevice,
              ctx: TaskContext, commit: Callable[[int], None],
              finish: Callable[[], None] = lambda: None) -> int:
    """Lay out and paint every page on ``device``; then ``commit(pages)`` (the log), end the
    job and ``finish()``. Returns the page count. 中止 before ``commit`` aborts the job."""
    layout = SheetLayout(document, stamp, device)
    total = layout.pages
    ctx.progress(LAYOUT_SHARE)
    painter = QPainter()
    if not painter.begin(device):
        raise UserFacingError(CANNOT_OPEN)
    committed = False
    try:
        for page in range(total):
            if ctx.cancelled():
                raise OperationCancelled()
            if page:
                device.newPage()
            layout.paint_page(painter, page, total)
            ctx.progress(LAYOUT_SHARE + (1 - LAYOUT_SHARE) * (page + 1) / total)
        if ctx.cancelled():
            raise OperationCancelled()
        commit(total)
        committed = True
    finally:
        if not committed and isinstance(device, QPrinter):
            device.abort()  # the job never reaches the spooler
        painter.end()  # (after the log: the printer's job goes out, the PDF is complete)
    finish()
    return total


class PdfInMemory:
    """A PDF painted into memory and written to its file only once logged, so that a
    cancelled or refused PDF leaves no file behind (and no part of one)."""

    def __init__(self, path: Path, title: str) -> None:
        self.path = path
        self.data = QByteArray()
        self.buffer = QBuffer(self.data)
        self.buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        self.writer = QPdfWriter(self.buffer)
        self.writer.setTitle(title)
        self.writer.setCreator(PDF_CREATOR)

    def write(self) -> None:
        """(After the painter ended.) The file, written whole."""
        self.buffer.close()
        try:
            self.path.write_bytes(bytes(self.buffer.data().data()))
        except OSError:
            raise UserFacingError(
                f"「{self.path.name}」を保存できませんでした。保存先のフォルダーと空き容量を"
                "確かめてください（印刷の記録には残っています。「印刷の記録」で廃棄済みに"
                "してください）。") from None
