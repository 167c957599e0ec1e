"""A shared read-only table model over a list of plain "lines" (dataclasses, rows).

``LinesTableModel`` holds the lines and the column headers and answers ``rowCount``,
``columnCount`` and the horizontal ``headerData``. A subclass says what each cell shows by
overriding :meth:`LinesTableModel.cell_data` (one line, one column, one role); the default
shows ``cells(line)[column]`` for the display role and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")


class LinesTableModel(QAbstractTableModel, Generic[T]):
    """A table whose rows are ``lines`` and whose columns are ``headers``."""

    def __init__(self, headers: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers: tuple[str, ...] = tuple(headers)
        self.lines: list[T] = []

    def set_lines(self, lines: Iterable[T]) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.endResetModel()

    def line(self, row: int) -> T:
        return self.lines[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self.cell_data(self.lines[index.row()], index.column(), role)

    def cells(self, line: T) -> Sequence[Any]:
        """The displayed text of each column of one line."""
        raise NotImplementedError

    def cell_data(self, line: T, column: int, role: int) -> Any:
        """What one cell gives for ``role`` (None: nothing)."""
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(line)[column]
        return None


class KeySortProxy(QSortFilterProxyModel):
    """Sorts by the source model's ``sort_key(row, column)`` (Python values, blanks last)."""

    def lessThan(self, left: Index, right: Index) -> bool:
        source = self.sourceModel()
        key = getattr(source, "sort_key", None)
        if key is None:
            return super().lessThan(left, right)
        a, b = key(left.row(), left.column()), key(right.row(), right.column())
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)


def make_view(
    model: QAbstractItemModel,
    accessible_name: str,
    parent: QWidget | None = None,
    *,
    row_height: int = 28,
    widths: Sequence[int] = (),
    stretch: int | None = None,
    stretch_last: bool = True,
) -> QTableView:
    """The one way a page shows a table: row-selecting, alternating rows, no row numbers,
    one line per row, cells read-only unless the caller allows editing. ``widths``: the
    first columns' widths; ``stretch``: the column that takes the spare width (else the
    last one does, if ``stretch_last``)."""
    table = QTableView(parent)
    table.setModel(model)
    table.setAlternatingRowColors(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(row_height)
    table.setAccessibleName(accessible_name)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for column, width in enumerate(widths):
        header.resizeSection(column, width)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(stretch_last)
    return table


def make_table(
    model: QAbstractTableModel,
    accessible_name: str,
    parent: QWidget | None = None,
    *,
    sort_role: int | None = None,
    row_height: int = 26,
) -> tuple[QTableView, KeySortProxy]:
    """A read-only, sortable table over ``model`` (as every list page shows one), in the
    service's order until a header is clicked. ``sort_role``: sort by that role of the model
    instead of ``sort_key``/display."""
    proxy = KeySortProxy(parent)
    proxy.setSourceModel(model)
    if sort_role is not None:
        proxy.setSortRole(sort_role)
    table = make_view(proxy, accessible_name, parent, row_height=row_height)
    table.setSortingEnabled(True)
    table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # in the service's order
    table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside
    table.horizontalHeader().setHighlightSections(False)
    return table, proxy
