"""The survey results grid: rows are domains and items, columns are rounds or comparisons,
and every cell shows the value, the city value, the difference, n and the 95% interval.

A cell's state (``wording.LOOKS``) colours its background and adds a mark and words, so that
green/red, grey 「差は不確か」 and suppressed cells read without colour too. The table is not
sortable: its rows keep the item master's order and its columns the rounds' order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from ui.school_karte.wording import look
from ui.table_model import LinesTableModel

Index = QModelIndex | QPersistentModelIndex
CELL_ROLE = int(Qt.ItemDataRole.UserRole) + 1
ROW_HEIGHT = 70
LABEL_WIDTH = 300
CELL_WIDTH = 190


def signed(value: float) -> str:
    """「+3.2」「-1.0」「±0.0」 (never 「-0.0」)."""
    text = f"{value:+.1f}"
    return "±0.0" if text in ("+0.0", "-0.0") else text


@dataclass(frozen=True)
class GridCell:
    """One shown result: percent values (0–100), the state, n and the interval."""

    state: str  # above / below / uncertain / within / suppressed / none
    value: float | None = None
    city: float | None = None
    difference: float | None = None
    n: int | None = None
    low: float | None = None
    high: float | None = None

    def lines(self) -> tuple[str, str, str]:
        """The three lines of the cell (also its accessible text)."""
        state = look(self.state)
        if self.state == "suppressed":
            return (f"{state.mark} 表示しません", "少人数の集団を守るため", "")
        if self.value is None:
            return ("—", state.words, "")
        city = "市 —" if self.city is None else f"市 {self.city:.1f}%"
        diff = "" if self.difference is None else f"　差 {signed(self.difference)}"
        first = f"{self.value:.1f}%　{city}{diff}"
        second = f"{state.mark} {state.words}" if state.mark else state.words
        interval = ("" if self.low is None or self.high is None
                    else f"　95%区間 {self.low:.1f}〜{self.high:.1f}")
        third = f"n={self.n:,}{interval}" if self.n is not None else interval.strip()
        return (first, second, third)


@dataclass(frozen=True)
class GridRow:
    """A domain (``level`` 0, bold) or one of its items (``level`` 1, indented)."""

    label: str
    cells: tuple[GridCell | None, ...]
    level: int = 0
    tooltip: str = ""


class ResultsModel(LinesTableModel[GridRow]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(("項目",), parent)

    def set_grid(self, columns: Sequence[str], rows: Sequence[GridRow]) -> None:
        self.beginResetModel()
        self.headers = ("領域・設問", *columns)
        self.lines = list(rows)
        self.endResetModel()

    def cell(self, row: int, column: int) -> GridCell | None:
        line = self.lines[row]
        if column == 0 or column - 1 >= len(line.cells):
            return None
        return line.cells[column - 1]

    def cell_data(self, line: GridRow, column: int, role: int) -> object:
        if column == 0:
            if role == Qt.ItemDataRole.DisplayRole:
                return ("　" * line.level) + line.label
            if role == Qt.ItemDataRole.FontRole and line.level == 0:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.ToolTipRole:
                return line.tooltip or line.label
            return None
        cell = line.cells[column - 1] if column - 1 < len(line.cells) else None
        if role == CELL_ROLE:
            return cell
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return "" if cell is None else "\n".join(t for t in cell.lines() if t)
        if role == Qt.ItemDataRole.ToolTipRole and cell is not None:
            return "\n".join(t for t in cell.lines() if t)
        return None


class CellDelegate(QStyledItemDelegate):
    """Paints a result cell: state background (hatched when suppressed), three lines."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        cell = index.data(CELL_ROLE)
        if not isinstance(cell, GridCell):
            super().paint(painter, option, index)
            return
        state = look(cell.state)
        painter.save()
        rect = option.rect.adjusted(1, 1, -1, -1)
        painter.fillRect(rect, QColor(state.bg))
        if cell.state == "suppressed":
            hatch = QBrush(QColor("#c4c8ce"), Qt.BrushStyle.BDiagPattern)
            painter.fillRect(rect, hatch)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor("#1f5fa8"), 2))
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
        first, second, third = cell.lines()
        font = QFont(option.font)
        line_h = max(option.fontMetrics.height(), 1)
        top = rect.top() + max((rect.height() - 3 * line_h) // 2, 2)
        inner = QRect(rect.left() + 6, top, rect.width() - 12, line_h)
        painter.setFont(font)
        painter.setPen(QColor("#111827" if cell.state != "suppressed" else state.fg))
        painter.drawText(inner, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         first)
        bold = QFont(font)
        bold.setBold(cell.state in ("above", "below", "uncertain"))
        painter.setFont(bold)
        painter.setPen(QColor(state.fg))
        painter.drawText(inner.translated(0, line_h),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), second)
        small = QFont(font)
        small.setPointSizeF(max(font.pointSizeF() - 1, 7))
        painter.setFont(small)
        painter.setPen(QColor("#4b5563"))
        painter.drawText(inner.translated(0, 2 * line_h),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), third)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(CELL_WIDTH, ROW_HEIGHT)


def results_view(model: ResultsModel, name: str, parent: QWidget | None = None) -> QTableView:
    """A read-only, unsortable grid of results (first column the labels)."""
    view = QTableView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setItemDelegate(CellDelegate(view))
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
    view.setSortingEnabled(False)
    view.setWordWrap(True)  # long item texts wrap in the label column
    view.setAlternatingRowColors(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setDefaultSectionSize(CELL_WIDTH)
    header.setStretchLastSection(False)
    header.setHighlightSections(False)
    header.setSectionsClickable(False)
    return view


def size_columns(view: QTableView) -> None:
    header = view.horizontalHeader()
    header.resizeSection(0, LABEL_WIDTH)
    for column in range(1, view.model().columnCount()):
        header.resizeSection(column, CELL_WIDTH)
