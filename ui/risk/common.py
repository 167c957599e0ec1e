"""Shared pieces of the risk pages (見守りアラート, 予測モデル, 要因分析).

- school years and times: labels in the chosen date style (months are
  ``toda_desktop.formatting.format_month``'s, of the service's ``SchoolMonth``s);
- bands: colour + text, never a number;
- a table model over plain dataclasses driven by a list of :class:`Column`;
- a progress strip (bar, label, 中止) for long work shown inside a page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QLabel,
    QTableView,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import (
    format_datetime,
    format_interval,
    format_percent,
    format_points,
    format_school_year,
)
from ui import style
from ui.table_model import LinesTableModel, make_view

if TYPE_CHECKING:
    from analysis.risk.report import Interval

T = TypeVar("T")

# Band colours: text colour, background, border. Always shown with the band's text.
BAND_COLORS = {
    "高": ("#8c1d18", "#fbe3e1", "#e7a9a4"),
    "中": ("#7a4b00", "#fff1d0", "#e9c77a"),
    "低": ("#34495e", "#eef2f6", "#c5cfd9"),
}
BAND_NAMES = ("高", "中", "低")


# -- months and years ------------------------------------------------------------------------


def year_label(school_year: int, date_style: DateStyle) -> str:
    return format_school_year(school_year, date_style)


def format_moment(moment: datetime | None, date_style: DateStyle) -> str:
    """A time from the services as 「令和7年10月1日 09:30」."""
    return format_datetime(moment, date_style)


# -- numbers ---------------------------------------------------------------------------------


def pct(value: float | None, digits: int = 1) -> str:
    return format_percent(value, digits)


def with_interval(entry: Interval | None, *, percent: bool = True, digits: int = 3) -> str:
    """An estimate with its interval → 「85.7%（50.0〜100.0%）」."""
    if entry is None:
        return "—"
    return format_interval(entry.value, entry.lo, entry.hi, percent=percent, digits=digits)


def points_with_interval(entry: Interval | None) -> str:
    """A difference of shares in percentage points with its interval."""
    if entry is None:
        return "—"
    return format_points(entry.value, entry.lo, entry.hi)


# -- widgets ---------------------------------------------------------------------------------


def band_chip(band: str) -> str:
    """Style sheet of a small label showing the band (colour and its text)."""
    fg, bg, border = BAND_COLORS.get(band, BAND_COLORS["低"])
    return (f"color: {fg}; background: {bg}; border: 1px solid {border}; border-radius: 3px;"
            " padding: 1px 8px; font-weight: bold;")


def show_band(chip: QLabel, text: QLabel, band: str, band_text: str) -> None:
    """A band as every risk screen shows it: the chip 「帯 中」 and its words in its colour."""
    chip.setText(f"帯 {band}")
    chip.setStyleSheet(band_chip(band))
    text.setText(band_text)
    text.setStyleSheet(f"color: {BAND_COLORS.get(band, BAND_COLORS['低'])[0]};")


def muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(style.MUTED)
    return label


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(style.SECTION_TITLE)
    return label


# -- tables ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column(Generic[T]):
    header: str
    text: Callable[[T], str]
    sort: Callable[[T], Any] | None = None
    right: bool = False
    band: Callable[[T], str | None] | None = None  # colour the cell as this band
    tooltip: Callable[[T], str] | None = None
    color: Callable[[T], str | None] | None = None  # text colour


LONG_CELL = 20  # characters; longer cells get the whole text as a tooltip


class RecordsModel(LinesTableModel[T]):
    """A read-only table over plain records, described by its columns."""

    def __init__(self, columns: Sequence[Column[T]], parent: QWidget | None = None) -> None:
        super().__init__((), parent)
        self.columns = list(columns)

    @property
    def columns(self) -> list[Column[T]]:
        return self._columns

    @columns.setter
    def columns(self, columns: list[Column[T]]) -> None:
        self._columns = columns
        self.headers = tuple(column.header for column in columns)

    @property
    def rows(self) -> list[T]:
        return self.lines

    def set_rows(self, rows: Iterable[T]) -> None:
        self.set_lines(rows)

    def cell_data(self, row: T, number: int, role: int) -> Any:
        column = self.columns[number]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.UserRole:
            return column.sort(row) if column.sort is not None else column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.tooltip is not None:
                return column.tooltip(row)
            text = column.text(row)  # long text may be cut off with "…": readable on hover
            return text if len(text) > LONG_CELL else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.band is not None:
                return int(Qt.AlignmentFlag.AlignCenter)
            if column.right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        band = column.band(row) if column.band is not None else None
        if role == Qt.ItemDataRole.FontRole and band in BAND_COLORS:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and band in BAND_COLORS:
            return QBrush(QColor(BAND_COLORS[band][1]))
        if role == Qt.ItemDataRole.ForegroundRole:
            if band in BAND_COLORS:
                return QBrush(QColor(BAND_COLORS[band][0]))
            colour = column.color(row) if column.color is not None else None
            return QBrush(QColor(colour)) if colour else None
        return None


def make_table(model: QAbstractTableModel, name: str, widths: Sequence[int] = (),
               stretch: int | None = None, row_height: int = 28,
               stretch_last: bool = True) -> QTableView:
    return make_view(model, name, row_height=row_height, widths=widths, stretch=stretch,
                     stretch_last=stretch_last)


def fit_height(table: QTableView, extra: int = 4) -> None:
    """Make a short table exactly as tall as its rows (no inner scroll bar)."""
    rows = table.model().rowCount()
    height = table.horizontalHeader().height() + extra
    height += sum(table.rowHeight(r) for r in range(rows))
    if table.horizontalScrollBar().isVisible():
        height += table.horizontalScrollBar().height()
    table.setFixedHeight(max(height, 60))
