"""The audit log's rows as the 監査ログ page lists them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_date, format_phrase
from ui import style
from ui.table_model import LinesTableModel

if TYPE_CHECKING:
    from toda_desktop.audit.service import AuditRow


HEADERS = ("番号", "日時", "利用者", "操作", "結果", "対象", "児童生徒ID", "詳細")


PROBLEM_OUTCOMES = ("失敗", "拒否", "異常あり")


def format_moment(moment: Any, date_style: DateStyle) -> str:
    return f"{format_date(moment, date_style)} {moment:%H:%M:%S}"


class AuditModel(LinesTableModel["AuditRow"]):
    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(HEADERS, parent)
        self._style = date_style

    @property
    def rows(self) -> list[AuditRow]:
        return self.lines

    def set_rows(self, rows: Sequence[AuditRow]) -> None:
        self.set_lines(rows)

    def cells(self, row: AuditRow) -> tuple[str, ...]:
        return (
            str(row.id),
            format_moment(row.at, self._style),
            row.actor_text,
            row.action_label,
            row.outcome_label,
            format_phrase(row.target, self._style),
            "" if row.pupil_id is None else str(row.pupil_id),
            format_phrase(row.detail, self._style),
        )

    def cell_data(self, row: AuditRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(row)[column]
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return (row.id, row.at, row.actor_text, row.action_label, row.outcome_label,
                    row.target_text, -1 if row.pupil_id is None else row.pupil_id,
                    row.detail_text)[column]
        if role == Qt.ItemDataRole.ToolTipRole and column in (3, 5, 7):
            text = self.cells(row)[column]  # cut off in a narrow column: whole on hover
            return text or None
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and column == 4
            and row.outcome_label in PROBLEM_OUTCOMES
        ):
            return QColor(style.ERROR_COLOR)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
