"""The chosen files of one wizard run: each entry's state, the office's import order, the
queue's table model and which sheets of a workbook are read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QWidget

from ui import style
from ui.importing.widgets import n_rows

Index = QModelIndex | QPersistentModelIndex

# The office imports the pupils and their enrollment first: other records are linked to them.
FIRST_KINDS = ("students", "schools", "enrollments")

WAITING, CURRENT, IMPORTED, NOTHING, SKIPPED, UNREADABLE = (
    "waiting", "current", "imported", "nothing", "skipped", "unreadable"
)


@dataclass
class FileEntry:
    """One chosen file and how far the wizard got with it."""

    path: Path
    inspection: Any | None = None  # FileInspection
    error: str | None = None  # why it could not be read (Japanese)
    state: str = WAITING
    result: Any | None = None  # ImportResult
    note: str = ""
    sheet: str | None = None  # the workbook sheet this entry reads (None: CSV or one sheet)
    sheets: tuple[Any, ...] = ()  # the workbook's sheets as first read (SheetInfo)
    _kind: tuple[str, str] | None = None  # (name, label) kept after release()

    @property
    def display_name(self) -> str:
        return self.path.name if self.sheet is None else f"{self.path.name}（{self.sheet}）"

    @property
    def kind_label(self) -> str:
        kind = self._kind_pair()
        return "—" if kind is None else kind[1]

    @property
    def kind_name(self) -> str | None:
        kind = self._kind_pair()
        return None if kind is None else kind[0]

    def _kind_pair(self) -> tuple[str, str] | None:
        kind = None if self.inspection is None else self.inspection.kind
        return self._kind if kind is None else (str(kind.name), str(kind.label))

    def finish(self, state: str) -> None:
        """Done with this file: keep what the summary shows, let the file's table go (a
        year of monthly attendance is a large table to hold for nothing)."""
        self._kind = self._kind_pair()
        self.state = state
        self.inspection = None

    @property
    def finished(self) -> bool:
        return self.state in (IMPORTED, NOTHING, SKIPPED, UNREADABLE)

    @property
    def state_label(self) -> str:
        if self.state == IMPORTED and self.result is not None:
            return f"取込済み（取込番号 {self.result.batch_id}・{n_rows(self.result.inserted)}）"
        return {
            WAITING: "これから",
            CURRENT: "確認中",
            IMPORTED: "取込済み",
            NOTHING: "取込なし",
            SKIPPED: "飛ばしました",
            UNREADABLE: "読めません",
        }[self.state]


def kind_rank(kind_name: str | None) -> int:
    if kind_name in FIRST_KINDS:
        return FIRST_KINDS.index(kind_name)
    return len(FIRST_KINDS) + (1 if kind_name is None else 0)


def in_import_order(entries: Sequence[FileEntry]) -> list[FileEntry]:
    """児童生徒基本情報, 学校, 在籍 first; otherwise as chosen (a stable sort)."""
    return sorted(entries, key=lambda e: kind_rank(e.kind_name))


class FileQueueModel(QAbstractTableModel):
    """The chosen files as a list: name on the first line, kind and state on the second."""

    HEADERS = ("ファイル（種類・状態）",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[FileEntry] = []
        self.current = -1

    def set_entries(self, entries: Sequence[FileEntry]) -> None:
        self.beginResetModel()
        self.entries = list(entries)
        self.endResetModel()

    def refresh(self) -> None:
        if self.entries:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.entries) - 1, 0))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def text(self, row: int) -> str:
        entry = self.entries[row]
        marker = "▶ " if row == self.current else ""
        return f"{marker}{entry.display_name}\n{entry.kind_label}・{entry.state_label}"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.error or entry.note or str(entry.path)
        if role == Qt.ItemDataRole.FontRole and index.row() == self.current:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and index.row() == self.current:
            return QBrush(QColor("#e8f1fb"))
        if role == Qt.ItemDataRole.ForegroundRole:
            if entry.state == UNREADABLE:
                return QColor(style.ERROR_COLOR)
            if entry.state == IMPORTED:
                return QColor(style.OK_COLOR)
            if entry.state in (SKIPPED, NOTHING):
                return QColor(style.MUTED_COLOR)
        return None


def entries_of(path: Path, inspections: Sequence[Any]) -> list[FileEntry]:
    """One entry per sheet the service read (one for a CSV); the sheet is named only when
    the workbook has several."""
    several = len(inspections) > 1 or any(len(i.sheets) > 1 for i in inspections)
    return [FileEntry(path, inspection=i, sheet=i.sheet if several else None,
                      sheets=tuple(i.sheets) if several else ())
            for i in inspections]


OTHER_SHEET = "ほかのシートを選んだため、読みません。"


def sheets_not_read(entry: FileEntry, entries: Sequence[FileEntry]) -> list[tuple[str, str]]:
    """(sheet, why) for the sheets of this entry's workbook that no entry of the run reads."""
    read = {e.sheet for e in entries if e.path == entry.path and e.state != UNREADABLE}
    return [(s.name, s.reason if not s.read else OTHER_SHEET)
            for s in entry.sheets if s.name not in read]


def sheet_choices(entry: FileEntry, entries: Sequence[FileEntry]) -> list[tuple[str, str]]:
    """(label, sheet name) for the sheet chooser: every sheet, with why one is not read."""
    why = dict(sheets_not_read(entry, entries))
    return [(f"{s.name}（{why[s.name]}）" if s.name in why else s.name, s.name)
            for s in entry.sheets]
