"""Shared pieces of the risk pages (見守りアラート, 予測モデル, 要因分析).

- school years and times: labels in the chosen date style (months are
  ``toda_desktop.formatting.format_month``'s, of the service's ``SchoolMonth``s);
- bands: colour + text, never a number;
- the table model over plain dataclasses driven by a list of :class:`Column` (the one
  ``RecordsModel`` of ``ui.pupil_tables``, named here for the risk pages);
- a progress strip (bar, label, 中止) for long work shown inside a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QAbstractTableModel
from PySide6.QtWidgets import (
    QLabel,
    QTableView,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import (
    format_interval,
    format_percent,
    format_points,
    format_school_year,
)
from ui import style
from ui.pupil_tables import LONG_CELL as LONG_CELL
from ui.pupil_tables import Column as Column
from ui.pupil_tables import RecordsModel as RecordsModel
from ui.style import BAND_COLORS as BAND_COLORS
from ui.table_model import make_view

if TYPE_CHECKING:
    from analysis.risk.report import Interval

T = TypeVar("T")

BAND_NAMES = ("高", "中", "低")


# -- months and years ------------------------------------------------------------------------


def year_label(school_year: int, date_style: DateStyle) -> str:
    return format_school_year(school_year, date_style)


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
