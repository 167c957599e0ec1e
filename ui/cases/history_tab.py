"""変更履歴: every change of the case field by field — when, who, what, before, after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kernel.date_style import DateStyle
from toda_desktop.cases.model import HistoryEntry
from toda_desktop.formatting import format_count, format_date, format_datetime
from ui.cases.widgets import muted, sheet_title
from ui.table_model import LinesTableModel, make_view

HEADERS = ("日時", "変更した人", "記録", "項目", "変更前", "変更後", "理由")
NONE_TEXT = "（なし）"


class HistoryModel(LinesTableModel[HistoryEntry]):
    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(HEADERS, parent)
        self._style = date_style

    def written(self, value: str | date | None) -> str | None:
        """A value as people read it (a day in the user's date style)."""
        if isinstance(value, date):
            return format_date(value, self._style)
        return value

    def cells(self, line: HistoryEntry) -> Sequence[Any]:
        return (format_datetime(line.changed_at, self._style), line.changed_by,
                line.entity_label, line.field_label, one_line(self.written(line.old)),
                one_line(self.written(line.new)), line.reason)

    def cell_data(self, line: HistoryEntry, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column in (4, 5):
            value = self.written(line.old if column == 4 else line.new)
            return value or NONE_TEXT
        return super().cell_data(line, column, role)


def one_line(text: str | None) -> str:
    if not text:
        return NONE_TEXT
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:79] + "…"


class HistoryTab(QWidget):
    """The case's history, newest first; nothing in it can be changed or deleted."""

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(sheet_title("変更履歴"))
        layout.addWidget(muted(
            "このケースの記録を、いつ・誰が・どの項目を・どう変えたかを、新しい順に"
            "すべて表示します。履歴は変更も削除もできません（行にマウスを置くと全文を表示します）。"))
        self.count_label = QLabel("")
        layout.addWidget(self.count_label)
        self.model = HistoryModel(date_style, self)
        self.table = make_view(self.model, "変更履歴", self, widths=(170, 190, 120, 150, 220, 220))
        layout.addWidget(self.table, 1)

    def show_entries(self, entries: Sequence[HistoryEntry]) -> None:
        ordered = list(reversed(entries))  # the service gives them oldest first
        self.model.set_lines(ordered)
        self.count_label.setText(f"{format_count(len(ordered))}件の変更")
