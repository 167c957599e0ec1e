"""The in-app preview every sheet goes through: Qt's QPrintPreviewDialog with its own print
and page-setup buttons replaced. 「印刷…」 asks for a printer (printing to a file is not
offered there) and 「PDFに保存…」 (roles that may make files) writes the product's own PDF —
both through the flow, which logs first and then paints the same watermarked pages."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QAction, QPagedPaintDevice
from PySide6.QtPrintSupport import (
    QAbstractPrintDialog,
    QPrintDialog,
    QPrinter,
    QPrintPreviewDialog,
)
from PySide6.QtWidgets import QFileDialog, QToolBar, QWidget

from toda_desktop.printing.document import PrintDocument
from ui.printing.renderer import SheetLayout, page_layout
from ui.printing.stamp import Stamp

# Qt's own actions this dialog hides: page setup and orientation (the sheet fixes A4 and
# its orientation) and its print button (replaced by one that checks the printer).
HIDDEN_ACTIONS = ("Print", "Page setup", "Portrait", "Landscape")
FILE_PRINTER = "Print to File (PDF)"  # what Qt's own print-to-file choice is called


class SheetPreview(QPrintPreviewDialog):
    """Shows one document with its watermark; the flow connects the two requests."""

    print_requested = Signal(object, str)  # (QPagedPaintDevice, printer name)
    pdf_requested = Signal(str)  # the chosen file's path

    def __init__(self, document: PrintDocument, stamp: Stamp, *, may_save_pdf: bool,
                 parent: QWidget | None = None) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(page_layout(document.landscape))
        super().__init__(printer, parent)
        self.sheet_printer = printer
        self.document = document
        self.stamp = stamp
        self.setWindowTitle(f"印刷プレビュー（印刷番号 {stamp.serial}）")
        self._layouts: dict[int, SheetLayout] = {}
        self.printing = False
        self.paintRequested.connect(self._paint_preview)
        words = {QCoreApplication.translate("QPrintPreviewDialog", w) for w in HIDDEN_ACTIONS}
        for action in self.findChildren(QAction):
            if action.text() in words:
                action.setVisible(False)
                action.setEnabled(False)
        toolbar = self.findChild(QToolBar)
        self.print_action = QAction("印刷…", self)
        self.print_action.setToolTip("プリンターを選んで印刷します（仮想プリンターは使えません）")
        self.print_action.triggered.connect(self.choose_printer)
        self.pdf_action = QAction("PDFに保存…", self)
        self.pdf_action.setToolTip("透かしと印刷番号の入ったPDFを保存します（印刷の記録に残ります）")
        self.pdf_action.triggered.connect(self.choose_pdf)
        self.pdf_action.setVisible(may_save_pdf)
        if toolbar is not None:
            toolbar.addSeparator()
            toolbar.addAction(self.print_action)
            toolbar.addAction(self.pdf_action)
        self.resize(980, 720)

    def adopt(self, layout: SheetLayout) -> None:
        """A layout made on the worker for this preview's printer (``job.prepared_layout``):
        the preview then only draws its pages on the GUI thread."""
        self._layouts[self.sheet_printer.logicalDpiX()] = layout

    def set_printing(self, printing: bool) -> None:
        """While a print or PDF is painted on the worker, the preview waits: no new print,
        no page setup (Qt would draw the preview on the printer being painted), and it does
        not close (that would void the serial of the sheet being printed)."""
        self.printing = printing
        self.setEnabled(not printing)
        self.print_action.setEnabled(not printing)
        self.pdf_action.setEnabled(not printing)

    def done(self, result: int) -> None:
        if not self.printing:
            super().done(result)

    def layout_for(self, device: QPagedPaintDevice) -> SheetLayout:
        """The sheet laid out for a device's resolution (kept: the preview repaints often)."""
        key = device.logicalDpiX()
        found = self._layouts.get(key)
        if found is None:
            found = SheetLayout(self.document, self.stamp, device)
            self._layouts[key] = found
        else:
            device.setPageLayout(page_layout(self.document.landscape))
        return found

    @property
    def pages(self) -> int:
        return self.layout_for(self.sheet_printer).pages

    def _paint_preview(self, printer: QPrinter) -> None:
        self.layout_for(printer).paint(printer)

    def choose_printer(self) -> None:
        dialog = QPrintDialog(self.sheet_printer, self)
        dialog.setWindowTitle("印刷")
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile, False)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintSelection, False)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return
        self.print_requested.emit(self.sheet_printer, printer_name(self.sheet_printer))

    def choose_pdf(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "PDFに保存", f"{self.stamp.serial}.pdf", "PDFファイル (*.pdf)")
        if path:
            self.pdf_requested.emit(path if path.lower().endswith(".pdf") else path + ".pdf")


def printer_name(printer: QPrinter) -> str:
    """The name the service judges: Qt's print-to-file choice is named as such."""
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat or printer.outputFileName():
        return FILE_PRINTER
    return printer.printerName()


PaintCall = Callable[[QPagedPaintDevice], int]
