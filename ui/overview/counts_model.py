"""Table model of record counts: dataset kinds (rows) × school years (columns).

A ``QAbstractTableModel`` over the plain :class:`DatasetCount` dataclasses, plus a sort
proxy that sorts on raw numbers and keeps the totals row at the bottom in both orders.
Stores span many years (infant check-ups go back to birth), so by default only the most
recent school years get a column each and older years are summed into 「それ以前」.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count, format_date, format_school_year
from toda_desktop.models import DatasetCount

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
IS_TOTAL_ROLE = Qt.ItemDataRole.UserRole + 2
NO_VALUE = "—"
RECENT_YEARS = 5

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class _Column:
    kind: str  # label | older | year | total | latest
    year: int = 0


class DatasetCountsModel(QAbstractTableModel):
    """Columns: データの種類, [それ以前], one per recent school year, 合計, 最新の日付.

    The last row holds the totals.
    """

    def __init__(self, date_style: DateStyle, parent: Any = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self._rows: tuple[DatasetCount, ...] = ()
        self._all_years: tuple[int, ...] = ()
        self._recent: int | None = RECENT_YEARS
        self._columns: list[_Column] = []
        self._rebuild_columns()

    def set_counts(self, datasets: tuple[DatasetCount, ...], years: tuple[int, ...]) -> None:
        """Replace the data; years are merged with those present in the counts."""
        self.beginResetModel()
        self._rows = tuple(datasets)
        all_years = set(years)
        for ds in datasets:
            all_years.update(ds.counts_by_year)
        self._all_years = tuple(sorted(all_years))
        self._rebuild_columns()
        self.endResetModel()

    def set_recent_years(self, recent: int | None) -> None:
        """Show only the last ``recent`` years as columns (None: every year)."""
        self.beginResetModel()
        self._recent = recent
        self._rebuild_columns()
        self.endResetModel()

    def _rebuild_columns(self) -> None:
        years = self._all_years
        shown = years if self._recent is None else years[-self._recent :]
        columns = [_Column("label")]
        if len(shown) < len(years):
            columns.append(_Column("older", shown[0]))
        columns += [_Column("year", y) for y in shown]
        columns += [_Column("total"), _Column("latest")]
        self._columns = columns

    @property
    def years(self) -> tuple[int, ...]:
        """Every school year that has data (not only those with a column)."""
        return self._all_years

    @property
    def shown_years(self) -> tuple[int, ...]:
        return tuple(c.year for c in self._columns if c.kind == "year")

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self._rows) + (1 if self._rows else 0)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            if column.kind == "year":
                return format_school_year(column.year, self._style)
            return {
                "label": "データの種類",
                "older": "それ以前",
                "total": "合計",
                "latest": "最新の日付",
            }[column.kind]
        if role == Qt.ItemDataRole.ToolTipRole and column.kind == "older":
            return f"{format_school_year(column.year - 1, self._style)}までの合計"
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind != "label":
            return _RIGHT
        return None

    def is_total_row(self, row: int) -> bool:
        return row == len(self._rows)

    def _count(self, counts: DatasetCount | None, column: _Column) -> int | None:
        """One dataset's count for a year column (None: no data); all datasets if None."""
        rows = self._rows if counts is None else (counts,)
        if column.kind == "year":
            year = column.year
            values = [r.counts_by_year[year] for r in rows if year in r.counts_by_year]
        else:  # older
            values = [n for r in rows for y, n in r.counts_by_year.items() if y < column.year]
        return sum(values) if values else None

    def raw_value(self, row: int, col: int) -> int | str | date | None:
        column = self._columns[col]
        total = self.is_total_row(row)
        ds = None if total else self._rows[row]
        if column.kind == "label":
            return "合計" if ds is None else ds.label
        if column.kind in ("year", "older"):
            return self._count(ds, column)
        if column.kind == "total":
            return sum(r.total for r in self._rows) if ds is None else ds.total
        return None if ds is None else ds.latest_date

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        value = self.raw_value(row, col)
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                return NO_VALUE
            if isinstance(value, int):
                return format_count(value)
            if isinstance(value, date):
                return format_date(value, self._style)
            return value
        if role == SORT_ROLE:
            if isinstance(value, date):
                return value.toordinal()
            return -1 if value is None else value
        if role == IS_TOTAL_ROLE:
            return self.is_total_row(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return _RIGHT
        if role == Qt.ItemDataRole.FontRole and self.is_total_row(row):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and self.is_total_row(row):
            return QBrush(QColor("#e8eef6"))
        if role == Qt.ItemDataRole.ForegroundRole and value is None:
            return QBrush(QColor("#9aa4af"))
        return None


class TotalsLastProxy(QSortFilterProxyModel):
    """Sorts on :data:`SORT_ROLE` and keeps the totals row last whatever the order."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left: _Index, right: _Index) -> bool:
        ascending = self.sortOrder() == Qt.SortOrder.AscendingOrder
        if left.data(IS_TOTAL_ROLE):
            return not ascending
        if right.data(IS_TOTAL_ROLE):
            return ascending
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if isinstance(a, str) or isinstance(b, str):
            return str(a) < str(b)
        return bool(a < b)
