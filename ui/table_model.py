"""A shared read-only table model over a list of plain "lines" (dataclasses, rows).

``LinesTableModel`` holds the lines and the column headers and answers ``rowCount``,
``columnCount`` and the horizontal ``headerData``. A subclass says what each cell shows by
overriding :meth:`LinesTableModel.cell_data` (one line, one column, one role); the default
shows ``cells(line)[column]`` for the display role and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

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
