"""The one way a page prints: ``PrintFlow.print_document(build)``.

1. ``build()`` runs on the worker (it may read through services and draw charts) and returns
   the :class:`PrintDocument`; the flow reads the print options beside it.
2. The purpose is asked (the lead's list), then the service reserves a serial and the return
   date (and checks ``print`` and the pupils on the sheet).
3. The sheet is shown in the in-app preview (always). 「印刷…」 or 「PDFに保存…」 first logs the
   print (the service refuses virtual printers by name and a PDF without ``export``) and
   then paints the same watermarked pages; closing the preview otherwise voids the serial.

The shell makes one flow for a role holding ``print`` and passes it to pages as ``printer``.
Layout is measured to stay well under a second for a thousand table rows, so painting stays
on the GUI thread (Qt's printers and preview must be painted there).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPagedPaintDevice, QPdfWriter
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count, format_date
from toda_desktop.printing.document import DOCUMENT_LABELS, PrintDocument
from toda_desktop.printing.service import PrintOptions, PrintService, PrintSlip
from ui.background import BackgroundRunner
from ui.printing.preview import SheetPreview
from ui.printing.purpose_dialog import PrintPurposeDialog
from ui.printing.renderer import SheetLayout
from ui.printing.stamp import stamp_of

BuildDocument = Callable[[], PrintDocument]


class PrintFlow(QObject):
    """Asks, previews, prints and logs; one sheet at a time."""

    done = Signal(str)  # one sentence for the page's status line (printed, saved, refused)
    purpose_asked = Signal(object)  # PrintPurposeDialog (tests)
    preview_shown = Signal(object)  # SheetPreview (tests)

    def __init__(self, service: PrintService, runner: BackgroundRunner, date_style: DateStyle,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._style = date_style
        self._window = parent
        self.busy = False
        self._asking = False
        self.preview: SheetPreview | None = None
        self._slip: PrintSlip | None = None
        self._sent = False

    # -- 1 and 2: build, purpose, reserve ---------------------------------------------------

    def print_document(self, build: BuildDocument) -> None:
        """Print a sheet (``build`` runs on the worker thread)."""
        if self.busy:
            self._tell("印刷の準備中です。前の印刷を終えてからもう一度お試しください。")
            return
        self.busy = True
        self._asking = False
        service = self._service
        op = self._runner.run(lambda _ctx: (service.options(), build()),
                              on_success=lambda got: self._ask(*got), parent=self._window,
                              label="印刷するページを作っています…",
                              on_user_error=self._refused)
        op.finished.connect(self._built)

    def _built(self) -> None:
        """However building ended: without a question open (an unexpected error, which
        the error dialog reports), the flow is free again."""
        if not self._asking:
            self._end()

    def _ask(self, options: PrintOptions, document: PrintDocument) -> None:
        self._asking = True
        dialog = PrintPurposeDialog(document, options, self._window)

        def submitted() -> None:
            dialog.set_busy(True)
            purpose = dialog.purpose()

            def reserved(slip: PrintSlip) -> None:
                dialog.accept()
                self._preview(document, slip, options)

            def refused(message: str) -> None:
                dialog.set_busy(False)
                dialog.show_error(message)

            op = self._runner.run(lambda _ctx: self._service.reserve(document, purpose),
                                  on_success=reserved, parent=dialog, progress_dialog=False,
                                  on_user_error=refused, writes=True)
            op.finished.connect(lambda: _free(dialog))  # (also after an unexpected error)

        dialog.submitted.connect(submitted)
        dialog.rejected.connect(self._end)
        dialog.finished.connect(dialog.deleteLater)
        self.purpose_asked.emit(dialog)
        dialog.open()

    # -- 3: preview, print, save, void ------------------------------------------------------

    def _preview(self, document: PrintDocument, slip: PrintSlip, options: PrintOptions) -> None:
        self._slip, self._sent = slip, False
        preview = SheetPreview(document, stamp_of(slip, self._style),
                               may_save_pdf=options.may_save_pdf, parent=self._window)
        preview.print_requested.connect(self.send)
        preview.pdf_requested.connect(self.save_pdf)
        preview.finished.connect(self._closed)
        preview.finished.connect(preview.deleteLater)
        self.preview = preview
        self.preview_shown.emit(preview)
        preview.open()

    def send(self, device: QPagedPaintDevice, printer_name: str) -> None:
        """Log the print for ``printer_name`` (refused if it is a virtual printer), then
        paint the pages on ``device``."""
        self._log_then(lambda slip, pages: self._service.printed(
            slip, pages, destination="printer", printer=printer_name),
            lambda layout: layout.paint(device), device)

    def save_pdf(self, path: str) -> None:
        """Log the PDF, then write it: the same pages and watermark as on paper."""
        writer = QPdfWriter(path)
        preview = self.preview
        assert preview is not None and self._slip is not None
        writer.setTitle(f"{DOCUMENT_LABELS[preview.document.kind]}（{self._slip.serial}）")
        writer.setCreator("戸田市教育データ（Toda Education Data Desktop）")
        self._log_then(lambda slip, pages: self._service.printed(slip, pages, destination="pdf"),
                       lambda layout: layout.paint(writer), writer, Path(path).name)

    def _log_then(self, log: Callable[[PrintSlip, int], None],
                  paint: Callable[[SheetLayout], int], device: QPagedPaintDevice,
                  file_name: str = "") -> None:
        preview, slip = self.preview, self._slip
        if preview is None or slip is None or self._sent:
            return
        layout = preview.layout_for(device)
        pages = layout.pages

        def logged(_none: object) -> None:
            self._sent = True
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:  # (measured: about 10 ms a page; a thousand-row list is 22–34 pages)
                paint(layout)
            finally:
                QApplication.restoreOverrideCursor()
            where = f"「{file_name}」に保存しました" if file_name else "印刷しました"
            preview.accept()
            self._tell(f"{where}（印刷番号 {slip.serial}・{format_count(pages)}ページ）。"
                       f"{format_date(slip.return_by, self._style)}までに回収するか廃棄して、"
                       "「印刷の記録」に記録してください。")

        self._runner.run(lambda _ctx: log(slip, pages), on_success=logged, parent=preview,
                         progress_dialog=False, on_user_error=self._warn, writes=True)

    def _closed(self, _result: int) -> None:
        slip, sent = self._slip, self._sent
        self.preview = None
        self._slip = None
        if slip is not None and not sent:
            # Best effort: a preview closed by the idle lock or at sign-out cannot void now;
            # the service voids it at this person's next reservation.
            self._runner.run(lambda _ctx: _quietly(lambda: self._service.voided(slip)),
                             on_success=lambda _none: None, parent=None,
                             progress_dialog=False, on_user_error=lambda _m: None, writes=True)
        self._end()

    # -- messages ---------------------------------------------------------------------------

    def _end(self) -> None:
        self.busy = False

    def _refused(self, message: str) -> None:
        self._end()
        self._warn(message)

    def _warn(self, message: str) -> None:
        parent = self.preview if self.preview is not None else self._window
        box = QMessageBox(QMessageBox.Icon.Warning, "印刷", message,
                          QMessageBox.StandardButton.Ok, parent)
        box.open()
        self.done.emit(message)

    def _tell(self, message: str) -> None:
        self.done.emit(message)


def _free(dialog: PrintPurposeDialog) -> None:
    if shiboken6.isValid(dialog):
        dialog.set_busy(False)


def _quietly(call: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):
        call()


__all__ = ["BuildDocument", "PrintFlow"]
