"""Copying a table's selected cells for Excel (Ctrl+C in the main window, issue 16).

Only what is shown is copied: the selected cells of visible rows and columns, in the order
and with the text they have on screen, as tab-separated lines (with the header line when
whole rows are chosen). Text that Excel would read as a formula gets a leading ' (as in the
product's files). Which pupils the cells belong to is asked of the table's model
(``copied_pupils(rows)``); the shell has the copy logged through the service before it
reaches the clipboard (:mod:`toda_desktop.clipboard`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractItemModel, QAbstractProxyModel, QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QMainWindow, QTableView

from toda_desktop.export_files import neutralize
from ui.background import BackgroundRunner

STATUS_MS = 8000


@dataclass(frozen=True)
class CopiedCells:
    page: str  # the page's title (for the audit entry)
    text: str  # tab-separated lines, ready for the clipboard
    rows: int
    columns: int
    pupils: tuple[int, ...] | None  # the pupils of the rows; None: the table cannot tell


def _cell_text(index: QModelIndex) -> str:
    value = index.data(Qt.ItemDataRole.DisplayRole)
    text = "" if value is None else str(value)
    text = " ".join(text.replace("\t", " ").splitlines())
    return str(neutralize(text))


def _source(model: QAbstractItemModel, index: QModelIndex) -> tuple[QAbstractItemModel, int]:
    """The innermost model and row behind a (proxied) index."""
    while isinstance(model, QAbstractProxyModel):
        index = model.mapToSource(index)
        source = model.sourceModel()
        if source is None:
            break
        model = source
    return model, index.row()


def selected_cells(view: QAbstractItemView, page: str = "") -> CopiedCells | None:
    """The view's selected cells (or its current cell) as shown; None when nothing is."""
    model = view.model()
    if model is None:
        return None
    selection = view.selectionModel()
    indexes = list(selection.selectedIndexes()) if selection is not None else []
    if not indexes and view.currentIndex().isValid():
        indexes = [view.currentIndex()]
    table = view if isinstance(view, QTableView) else None

    def shown(index: QModelIndex) -> bool:
        if table is None:
            return True
        return not (table.isColumnHidden(index.column()) or table.isRowHidden(index.row()))

    indexes = [i for i in indexes if i.isValid() and shown(i)]
    if not indexes:
        return None

    def visual_row(row: int) -> int:
        return table.verticalHeader().visualIndex(row) if table is not None else row

    def visual_column(column: int) -> int:
        return table.horizontalHeader().visualIndex(column) if table is not None else column

    rows = sorted({i.row() for i in indexes}, key=visual_row)
    columns = sorted({i.column() for i in indexes}, key=visual_column)
    chosen = {(i.row(), i.column()): i for i in indexes}
    lines = []
    all_columns = [c for c in range(model.columnCount())
                   if table is None or not table.isColumnHidden(c)]
    if len(columns) > 1 and set(columns) == set(all_columns):  # whole rows: with headers
        lines.append("\t".join(
            str(neutralize(str(model.headerData(c, Qt.Orientation.Horizontal) or "")))
            for c in columns))
    for row in rows:
        lines.append("\t".join(
            _cell_text(chosen[(row, c)]) if (row, c) in chosen else "" for c in columns))
    source, _row = _source(model, indexes[0])
    pupils_of = getattr(source, "copied_pupils", None)
    pupils: tuple[int, ...] | None = None
    if callable(pupils_of):
        source_rows = sorted({_source(model, index)[1] for index in chosen.values()})
        found = pupils_of(source_rows)  # None: this table cannot tell
        if found is not None:
            pupils = tuple(dict.fromkeys(int(p) for p in found))
    return CopiedCells(page, "\r\n".join(lines) + "\r\n", len(rows), len(columns), pupils)


Record = Callable[[str, int, int, "tuple[int, ...] | None"], None]


def copy_logged(cells: CopiedCells, record: Record, runner: BackgroundRunner,
                window: QMainWindow) -> None:
    """Log the copy through the service (on the worker), then put the cells on the
    clipboard; a refusal (no right, too many rows, locked) is said in the status bar and
    nothing is copied."""
    status = window.statusBar()

    def copied(_result: None) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(cells.text)
        status.showMessage(f"{cells.rows}行×{cells.columns}列をコピーしました"
                           "（Excelに貼り付けられます）。", STATUS_MS)

    runner.run(lambda _ctx: record(cells.page, cells.rows, cells.columns, cells.pupils),
               on_success=copied, parent=window, progress_dialog=False,
               on_user_error=lambda message: status.showMessage(message, STATUS_MS))
