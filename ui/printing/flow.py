"""The one way a page prints: ``PrintFlow.print_document(build)``.

1. ``build()`` runs on the worker (it may read through services and draw charts) and returns
   the :class:`PrintDocument`; the flow reads the print options beside it.
2. The purpose is asked (the lead's list), then the service reserves a serial and the return
   date (and checks ``print`` and the pupils on the sheet).
3. The sheet is laid out on the worker and shown in the in-app preview (always).
   「印刷…」 or 「PDFに保存…」 paints the same watermarked pages on the worker, with progress
   and 中止 (:mod:`ui.printing.job`), logs the print once every page is painted (the
   service refuses virtual printers by name, before painting, and a PDF without ``export``)
   and only then sends the printer's job or writes the file: a cancelled print is neither
   printed nor logged. Closing the preview otherwise voids the serial.

The shell makes one flow for a role holding ``print`` and passes it to pages as ``printer``.
On the GUI thread stay only the dialogs and the preview's drawing of its pages (Qt's
preview asks for them there), from a layout already made on the worker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QPagedPaintDevice
from PySide6.QtWidgets import QMessageBox, QWidget

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count, format_date
from toda_desktop.printing.document import DOCUMENT_LABELS, PrintDocument
from toda_desktop.printing.service import PrintOptions, PrintService, PrintSlip
from ui.background import BackgroundOp, BackgroundRunner, TaskContext, alive
from ui.printing.job import PdfInMemory, paint_job, prepared_layout
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
        self.job: BackgroundOp[Any] | None = None  # the print or PDF being painted

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
        """Lay the sheet out for the preview on the worker, then show it (中止 voids)."""
        self._slip, self._sent = slip, False
        stamp = stamp_of(slip, self._style)
        preview = SheetPreview(document, stamp, may_save_pdf=options.may_save_pdf,
                               parent=self._window)
        preview.print_requested.connect(self.send)
        preview.pdf_requested.connect(self.save_pdf)
        preview.finished.connect(self._closed)
        preview.finished.connect(preview.deleteLater)
        self.preview = preview
        device = preview.sheet_printer

        def show(layout: SheetLayout) -> None:
            preview.adopt(layout)
            self.preview_shown.emit(preview)
            preview.open()

        def stopped() -> None:
            self._tell("印刷を中止しました。")
            preview.reject()  # voids the serial

        def failed(message: str) -> None:
            self._warn(message)
            preview.reject()

        op = self._runner.run(lambda _ctx: prepared_layout(document, stamp, device),
                              on_success=show, parent=self._window,
                              label="印刷プレビューを作っています…", cancellable=True,
                              on_cancelled=stopped, on_user_error=failed)
        # An unexpected error (the reporter's dialog says it): the serial is voided too.
        op.finished.connect(lambda: None if preview.isVisible() or self.preview is not preview
                            else preview.reject())

    def send(self, device: QPagedPaintDevice, printer_name: str) -> None:
        """Print on ``device`` (the printer chosen in the print dialog) on the worker: a
        virtual printer is refused by name before anything is painted; the print is logged
        once every page is painted, then the job goes out."""
        service = self._service

        def check() -> None:
            service.check_printer(printer_name)

        self._paint(device, lambda slip, pages: service.printed(
            slip, pages, destination="printer", printer=printer_name), check=check,
            label="印刷しています…")

    def save_pdf(self, path: str) -> None:
        """The same pages and watermark as on paper, painted into memory on the worker; the
        file is written once the PDF is logged (nothing on disk after 中止)."""
        preview, slip = self.preview, self._slip
        if preview is None or slip is None:
            return
        pdf = PdfInMemory(Path(path), f"{DOCUMENT_LABELS[preview.document.kind]}"
                                      f"（{slip.serial}）")
        self._paint(pdf.writer, lambda s, pages: self._service.printed(
            s, pages, destination="pdf"), finish=pdf.write, file_name=pdf.path.name,
            label="PDFを作っています…", keep=pdf)

    def _paint(self, device: QPagedPaintDevice, log: Callable[[PrintSlip, int], None], *,
               label: str, check: Callable[[], None] = lambda: None,
               finish: Callable[[], None] = lambda: None, file_name: str = "",
               keep: object = None) -> None:
        """Paint, log, send: one job on the worker with the progress dialog and 中止; the
        preview waits disabled meanwhile (Qt must not draw it on the same printer)."""
        preview, slip = self.preview, self._slip
        if preview is None or slip is None or self._sent or self.job is not None:
            return
        document, stamp = preview.document, preview.stamp

        def task(ctx: TaskContext) -> int:
            check()
            _ = keep  # (the in-memory PDF lives until the job ends)
            return paint_job(document, stamp, device, ctx, lambda pages: log(slip, pages),
                             finish)

        def done(pages: int) -> None:
            self._sent = True
            where = f"「{file_name}」に保存しました" if file_name else "印刷しました"
            preview.set_printing(False)
            preview.accept()
            self._tell(f"{where}（印刷番号 {slip.serial}・{format_count(pages)}ページ）。"
                       f"{format_date(slip.return_by, self._style)}までに回収するか廃棄して、"
                       "「印刷の記録」に記録してください。")

        def cancelled() -> None:
            self._tell("印刷を中止しました。印刷の記録には残っていません。")

        preview.set_printing(True)
        # (The progress dialog belongs to the window: the preview waits disabled.)
        self.job = self._runner.run(task, on_success=done, parent=self._window, label=label,
                                    cancellable=True, on_user_error=self._warn,
                                    on_cancelled=cancelled, writes=True)
        self.job.finished.connect(lambda: self._job_ended(preview))

    def _job_ended(self, preview: SheetPreview) -> None:
        self.job = None
        if alive(preview):
            preview.set_printing(False)

    def cancel_job(self) -> None:
        """中止 of the running print (what the progress dialog's button does)."""
        if self.job is not None:
            self.job.cancel()

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
