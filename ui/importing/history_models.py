"""Plain data and the table model of the 取込履歴 page: the import batches, newest first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count, format_datetime
from ui import style
from ui.table_model import LinesTableModel

BATCH_STATES = {"committed": "取込済み", "rolled_back": "取り消し済み"}


@dataclass(frozen=True)
class BatchLine:
    id: int
    kind: str
    kind_label: str
    source_name: str
    imported_by: str
    imported_at: datetime | None
    row_count: int
    status: str

    @property
    def active(self) -> bool:
        return self.status == "committed"

    @property
    def status_label(self) -> str:
        return BATCH_STATES.get(self.status, self.status)


def batch_lines(batches: Iterable[Any], kind_labels: Mapping[str, str]) -> list[BatchLine]:
    """The service's batch rows, newest first."""
    lines = []
    for b in batches:
        try:
            moment: datetime | None = datetime.fromisoformat(str(b.imported_at))
        except ValueError:
            moment = None
        lines.append(BatchLine(int(b.id), str(b.kind), kind_labels.get(str(b.kind), str(b.kind)),
                               str(b.source_name), str(b.imported_by), moment,
                               int(b.row_count), str(b.status)))
    return sorted(lines, key=lambda line: line.id, reverse=True)


class BatchesModel(LinesTableModel[BatchLine]):
    HEADERS = ("番号", "種類", "ファイル", "取込者", "日時", "件数", "状態")

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(self.HEADERS, parent)
        self._style = date_style

    def cells(self, line: BatchLine) -> tuple[str, ...]:
        return (
            str(line.id), line.kind_label, line.source_name, line.imported_by,
            format_datetime(line.imported_at, self._style), format_count(line.row_count),
            line.status_label,
        )

    def cell_data(self, line: BatchLine, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(line)[column]
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return (line.id, line.kind_label, line.source_name, line.imported_by,
                    line.imported_at or datetime.min, line.row_count, line.status_label)[column]
        if role == Qt.ItemDataRole.ForegroundRole and not line.active:
            return QColor(style.MUTED_COLOR)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
