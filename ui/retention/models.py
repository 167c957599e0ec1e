"""The two tables of 保存期間の管理: the retention classes, and the lines of a purge plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count, format_phrase
from toda_desktop.phrase import SchoolYear
from toda_desktop.retention.views import ClassView, PlanLine
from ui.table_model import LinesTableModel

CLASS_HEADERS = ("区分", "保存期間", "期間の後", "根拠", "対象のデータ")
PLAN_HEADERS = ("データの種類", "保存期間の区分", "年度", "処理", "記録数", "児童生徒数",
                "実行結果")
NUMBER_COLUMNS = (4, 5, 6)


class ClassesModel(LinesTableModel[ClassView]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(CLASS_HEADERS, parent)

    def cells(self, line: ClassView) -> Sequence[Any]:
        return (line.label, line.period, line.action, line.basis, "、".join(line.kinds) or "—")

    def cell_data(self, line: ClassView, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column in (3, 4):
            return self.cells(line)[column]
        return super().cell_data(line, column, role)


class PlanModel(LinesTableModel[PlanLine]):
    def __init__(self, date_style: DateStyle, parent: QObject | None = None) -> None:
        super().__init__(PLAN_HEADERS, parent)
        self._style = date_style

    def cells(self, line: PlanLine) -> Sequence[Any]:
        done = "—" if line.done is None else f"{format_count(line.done)}件"
        return (line.label, line.class_label,
                format_phrase((SchoolYear(line.school_year),), self._style),
                line.action_label, f"{format_count(line.records)}件",
                f"{format_count(line.pupils)}人", done)

    def cell_data(self, line: PlanLine, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBER_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().cell_data(line, column, role)
