"""Lays a PrintDocument out on A4 and paints it, with the watermark on every page.

The body is a QTextDocument built block by block through QTextCursor (no HTML, so text from
the store is never read as markup); tables repeat their header row on each page. Each page
gets a header band (持出禁止・要回収, serial, return date, who printed it and when), a faint
diagonal line with the serial, and a footer with the page number. Every character is set in
the bundled IPAexGothic (and its kanji supplement), registered from file so that a PDF embeds
them; a character both lack is printed as 〓 rather than taken from an installed font.

The same ``SheetLayout.paint`` draws the preview, the printer's pages and the PDF.
"""

from __future__ import annotations

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPen,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrameFormat,
    QTextImageFormat,
    QTextLength,
    QTextTable,
    QTextTableFormat,
)

from toda_desktop.printing.document import (
    Block,
    Fields,
    Figure,
    Heading,
    PageBreak,
    Paragraph,
    PrintDocument,
    Table,
)
from ui.fonts import print_covers, print_font
from ui.printing.stamp import Stamp

MARGINS_MM = QMarginsF(14.0, 12.0, 14.0, 12.0)  # left, top, right, bottom
HEADER_MM = 15.0  # the watermark band above the body
FOOTER_MM = 8.0
BODY_PT = 9.5
SMALL_PT = 8.0
MISSING_GLYPH = "〓"
INK = QColor("#1a1a1a")
RULE = QColor("#555555")
SHADE = QColor("#e8ecf0")
HEADING_SHADE = QColor("#dde3ea")
KEEP_RED = QColor("#b00020")
WATERMARK = QColor(120, 120, 120, 38)


def page_layout(landscape: bool) -> QPageLayout:
    orientation = (QPageLayout.Orientation.Landscape if landscape
                   else QPageLayout.Orientation.Portrait)
    return QPageLayout(QPageSize(QPageSize.PageSizeId.A4), orientation, MARGINS_MM,
                       QPageLayout.Unit.Millimeter)


class _Glyphs:
    """Replaces characters neither bundled font can draw (e.g. U+10FFFD) with 〓."""

    def __init__(self) -> None:
        self._seen: dict[str, bool] = {}

    def clean(self, text: str) -> str:
        out = []
        for ch in text:
            ok = self._seen.get(ch)
            if ok is None:
                ok = ch in "\n\t " or print_covers(ch)
                self._seen[ch] = ok
            out.append(ch if ok else MISSING_GLYPH)
        return "".join(out)


class SheetLayout:
    """One document laid out for one paged device (its resolution and page size)."""

    def __init__(self, document: PrintDocument, stamp: Stamp, device: QPagedPaintDevice) -> None:
        self.document = document
        self.stamp = stamp
        device.setPageLayout(page_layout(document.landscape))
        self._dpi = float(device.logicalDpiY())
        paint = device.pageLayout().paintRectPixels(device.logicalDpiX())
        self.page_width = float(paint.width())
        self.page_height = float(paint.height())
        self.header_h = self._mm(HEADER_MM)
        self.footer_h = self._mm(FOOTER_MM)
        self.body_h = self.page_height - self.header_h - self.footer_h
        self._glyphs = _Glyphs()
        self.text = QTextDocument()
        self.text.documentLayout().setPaintDevice(device)
        self.text.setDefaultFont(print_font(BODY_PT))
        self.text.setDocumentMargin(0)
        self.text.setPageSize(QSizeF(self.page_width, self.body_h))
        self._build()

    def _mm(self, mm: float) -> float:
        return mm / 25.4 * self._dpi

    def _pt(self, pt: float) -> float:
        """Points in device pixels (for painting the bands)."""
        return pt / 72.0 * self._dpi

    @staticmethod
    def _css(pt: float) -> float:
        """Points in the text document's own lengths: pixels at 96 dpi, which its layout
        scales to the device (margins, padding, borders, image sizes)."""
        return pt * 96.0 / 72.0

    def _doc_px(self, device_px: float) -> float:
        return device_px * 96.0 / self._dpi

    @property
    def pages(self) -> int:
        return max(1, self.text.pageCount())

    # -- building the body ----------------------------------------------------------------

    def _char(self, size: float = BODY_PT, *, bold: bool = False,
              color: QColor = INK) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setFont(print_font(size, bold=bold))
        fmt.setForeground(QBrush(color))
        return fmt

    def _block(self, *, top: float = 0.0, bottom: float = 0.0, align: Qt.AlignmentFlag =
               Qt.AlignmentFlag.AlignLeft, background: QColor | None = None,
               page_break: bool = False, spaced: bool = True) -> QTextBlockFormat:
        fmt = QTextBlockFormat()
        fmt.setTopMargin(self._css(top))
        fmt.setBottomMargin(self._css(bottom))
        fmt.setAlignment(align)
        if spaced:  # text lines get air; a figure's line is the figure's own height
            fmt.setLineHeight(135.0, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        if background is not None:
            fmt.setBackground(QBrush(background))
        if page_break:
            fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
        return fmt

    def _build(self) -> None:
        cursor = QTextCursor(self.text)
        cursor.beginEditBlock()  # one layout at the end, not one per cell
        try:
            self._fill(cursor)
        finally:
            cursor.endEditBlock()

    def _fill(self, cursor: QTextCursor) -> None:
        doc = self.document
        cursor.setBlockFormat(self._block(bottom=6, align=Qt.AlignmentFlag.AlignHCenter))
        cursor.insertText(self._glyphs.clean(doc.title), self._char(15, bold=True))
        next_break = False
        for block in doc.blocks:
            if isinstance(block, PageBreak):
                next_break = True
                continue
            self._add(cursor, block, next_break)
            next_break = False

    def _new_block(self, cursor: QTextCursor, fmt: QTextBlockFormat) -> None:
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertBlock(fmt)

    def _add(self, cursor: QTextCursor, block: Block, page_break: bool) -> None:
        clean = self._glyphs.clean
        if isinstance(block, Heading):
            size = 11.5 if block.level <= 1 else 10.0
            self._new_block(cursor, self._block(
                top=9 if block.level <= 1 else 6, bottom=3, page_break=page_break,
                background=HEADING_SHADE if block.level <= 1 else None))
            mark = "■ " if block.level <= 1 else "□ "
            cursor.insertText(mark + clean(block.text), self._char(size, bold=True))
        elif isinstance(block, Paragraph):
            self._new_block(cursor, self._block(top=2, bottom=2, page_break=page_break))
            if block.note:
                cursor.insertText(clean(block.text), self._char(SMALL_PT, color=RULE))
            else:
                cursor.insertText(clean(block.text), self._char())
        elif isinstance(block, Fields):
            self._new_block(cursor, self._block(top=2, page_break=page_break))
            self._fields(cursor, block)
        elif isinstance(block, Table):
            if block.caption:
                self._new_block(cursor, self._block(top=4, bottom=2, page_break=page_break))
                cursor.insertText(clean(block.caption), self._char(SMALL_PT, bold=True))
                page_break = False
            self._new_block(cursor, self._block(top=2, page_break=page_break))
            self._table(cursor, block)
        elif isinstance(block, Figure):
            self._new_block(cursor, self._block(top=4, align=Qt.AlignmentFlag.AlignHCenter,
                                                page_break=page_break, spaced=False))
            self._figure(cursor, block)

    def _table_format(self, widths: list[float], header_rows: int) -> QTextTableFormat:
        fmt = QTextTableFormat()
        fmt.setBorder(self._css(0.5))
        fmt.setBorderBrush(QBrush(RULE))
        fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        fmt.setBorderCollapse(True)
        fmt.setCellSpacing(0)
        fmt.setCellPadding(self._css(2.5))
        fmt.setHeaderRowCount(header_rows)
        fmt.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
        total = sum(widths) or 1.0
        fmt.setColumnWidthConstraints(
            [QTextLength(QTextLength.Type.PercentageLength, 100.0 * w / total) for w in widths])
        return fmt

    def _cell(self, table: QTextTable, row: int, column: int, text: str,
              fmt: QTextCharFormat, shade: QColor | None = None,
              align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> None:
        cell = table.cellAt(row, column)
        cell_format = cell.format().toTableCellFormat()
        cell_format.setBorder(self._css(0.5))  # (a collapsed table draws its cells' borders)
        cell_format.setBorderBrush(QBrush(RULE))
        cell_format.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        if shade is not None:
            cell_format.setBackground(QBrush(shade))
        cell.setFormat(cell_format)
        at = cell.firstCursorPosition()
        block = at.blockFormat()
        block.setAlignment(align)
        at.setBlockFormat(block)
        at.insertText(self._glyphs.clean(text), fmt)

    def _fields(self, cursor: QTextCursor, block: Fields) -> None:
        per_line = max(1, block.columns)
        rows = [block.rows[i:i + per_line] for i in range(0, len(block.rows), per_line)]
        if not rows:
            return
        table = cursor.insertTable(len(rows), 2 * per_line,
                                   self._table_format([1.35, 2.6] * per_line, 0))
        label, value = self._char(SMALL_PT + 0.5, bold=True), self._char()
        for r, pairs in enumerate(rows):
            for c, (key, text) in enumerate(pairs):
                self._cell(table, r, 2 * c, key, label, SHADE)
                self._cell(table, r, 2 * c + 1, text, value)
        cursor.movePosition(QTextCursor.MoveOperation.End)

    def _table(self, cursor: QTextCursor, block: Table) -> None:
        columns = len(block.columns)
        if columns == 0:
            return
        widths = list(block.widths) if len(block.widths) == columns else [1.0] * columns
        table = cursor.insertTable(1 + max(1, len(block.rows)), columns,
                                   self._table_format(widths, 1))
        head, body = self._char(SMALL_PT + 0.5, bold=True), self._char(SMALL_PT + 0.5)
        for c, name in enumerate(block.columns):
            self._cell(table, 0, c, name, head, SHADE, Qt.AlignmentFlag.AlignHCenter)
        if not block.rows:
            table.mergeCells(1, 0, 1, columns)
            self._cell(table, 1, 0, "（該当なし）", body,
                       align=Qt.AlignmentFlag.AlignHCenter)
        for r, row in enumerate(block.rows, start=1):
            for c in range(columns):
                text = row[c] if c < len(row) else ""
                align = (Qt.AlignmentFlag.AlignRight if _numeric(text)
                         else Qt.AlignmentFlag.AlignLeft)
                self._cell(table, r, c, text, body, align=align)
        cursor.movePosition(QTextCursor.MoveOperation.End)

    def _figure(self, cursor: QTextCursor, block: Figure) -> None:
        image = QImage.fromData(block.png)
        if image.isNull() or image.width() == 0:
            cursor.insertText("（図を表示できません）", self._char(SMALL_PT, color=RULE))
            return
        name = f"figure-{id(block)}"
        self.text.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
        width = self._doc_px(self.page_width) * max(0.1, min(1.0, block.width_share))
        height = width * image.height() / image.width()
        if height > self._doc_px(self.body_h) * 0.9:  # never taller than a page
            height = self._doc_px(self.body_h) * 0.9
            width = height * image.width() / image.height()
        fmt = QTextImageFormat()
        fmt.setName(name)
        fmt.setWidth(width)
        fmt.setHeight(height)
        cursor.insertImage(fmt)
        if block.caption:
            self._new_block(cursor, self._block(bottom=4, align=Qt.AlignmentFlag.AlignHCenter))
            cursor.insertText(self._glyphs.clean(block.caption), self._char(SMALL_PT,
                                                                            color=RULE))

    # -- painting -------------------------------------------------------------------------

    def paint(self, device: QPagedPaintDevice, painter: QPainter | None = None) -> int:
        """Paint every page on ``device`` (a printer, a preview or a PDF writer); returns
        the number of pages."""
        own = painter is None
        if painter is None:
            painter = QPainter()
            if not painter.begin(device):
                raise OSError("印刷先を開けませんでした。")
        try:
            total = self.pages
            for page in range(total):
                if page:
                    device.newPage()
                self.paint_page(painter, page, total)
        finally:
            if own:
                painter.end()
        return total

    def paint_page(self, painter: QPainter, page: int, total: int) -> None:
        painter.save()
        self._diagonal(painter)
        self._header(painter)
        painter.save()
        painter.translate(0, self.header_h - page * self.body_h)
        clip = QRectF(0, page * self.body_h, self.page_width, self.body_h)
        painter.setClipRect(clip)
        self.text.drawContents(painter, clip)
        painter.restore()
        self._footer(painter, page, total)
        painter.restore()

    def _header(self, painter: QPainter) -> None:
        stamp = self.stamp
        painter.setFont(print_font(11, bold=True))
        keep_w = painter.fontMetrics().horizontalAdvance(stamp.keep) + self._mm(5)
        band = self.header_h - self._mm(3)
        keep_rect = QRectF(0, 0, keep_w, band)
        painter.setPen(QPen(KEEP_RED, self._pt(1.2)))
        painter.drawRect(keep_rect)
        painter.drawText(keep_rect, Qt.AlignmentFlag.AlignCenter, stamp.keep)
        painter.setPen(INK)
        small = print_font(SMALL_PT)
        painter.setFont(small)
        line_h = band / 2
        text_rect = QRectF(keep_w + self._mm(3), 0, self.page_width - keep_w - self._mm(3),
                           line_h)
        first, second = stamp.header_lines
        painter.setFont(print_font(SMALL_PT + 0.5, bold=True))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         first)
        painter.setFont(small)
        painter.drawText(text_rect.translated(0, line_h),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         self._glyphs.clean(second))
        painter.setPen(QPen(RULE, self._pt(0.6)))
        y = self.header_h - self._mm(1.5)
        painter.drawLine(QPointF(0, y), QPointF(self.page_width, y))

    def _footer(self, painter: QPainter, page: int, total: int) -> None:
        top = self.page_height - self.footer_h
        painter.setPen(QPen(RULE, self._pt(0.6)))
        painter.drawLine(QPointF(0, top + self._mm(1)), QPointF(self.page_width, top + self._mm(1)))
        painter.setPen(INK)
        painter.setFont(print_font(SMALL_PT))
        rect = QRectF(0, top + self._mm(1.5), self.page_width, self.footer_h - self._mm(1.5))
        left = f"{self.stamp.keep}　{self.stamp.serial}"
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, left)
        painter.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                         f"{page + 1} / {total}")
        painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         self.stamp.return_line)

    def _diagonal(self, painter: QPainter) -> None:
        painter.save()
        painter.setPen(WATERMARK)
        painter.setFont(print_font(30, bold=True))
        painter.translate(self.page_width / 2, self.page_height / 2)
        painter.rotate(-30)
        text = f"{self.stamp.keep}　{self.stamp.serial}"
        width = self.page_width * 1.1
        painter.drawText(QRectF(-width / 2, -self._mm(10), width, self._mm(20)),
                         Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("%", "").replace(".", "").replace("-", "")
    return bool(stripped) and stripped.isdigit()

