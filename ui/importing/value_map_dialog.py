"""一覧にない値の対応付け: map a source's own words (頭痛) to a listed value (内科).

The import wizard opens this when a listed column (症状区分, 種別 …) holds values outside its
list. Each value can stay as written (optional columns keep it) or be mapped to a listed
value; the choice is saved for the source by ``ImportingService.save_value_map`` and applies to
this file and the source's later files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from toda_desktop.formatting import format_count
from ui.dialogs import FormDialog

if TYPE_CHECKING:
    from toda_desktop.importing.service import UnknownValue

KEEP = "（書かれたとおり取り込む）"
REFUSE = "（対応付けない：この行は取り込めません）"
INTRO = (
    "次の値は、列の値の一覧にありません。一覧のどの値と同じ意味かを選ぶと、この取込元の"
    "ファイルでは次回からもその値として取り込みます。任意の列の値はそのまま取り込むことも"
    "できます。必須の列の値は、対応付けないとその行を取り込めません。"
)


class ValueMapDialog(FormDialog):
    """One row per unknown value: column, value as written, rows, and the value it means."""

    def __init__(self, unknown: Sequence[UnknownValue], parent: QWidget | None = None) -> None:
        super().__init__("一覧にない値の対応付け", "保存して検証し直す", parent, INTRO)
        self.setMinimumWidth(620)
        self.unknown = list(unknown)
        self.table = QTableWidget(len(self.unknown), 4, self)
        self.table.setAccessibleName("一覧にない値")
        self.table.setHorizontalHeaderLabels(["列", "ファイルの値", "行数", "対応付ける値"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.combos: list[QComboBox] = []
        for row, item in enumerate(self.unknown):
            for column, text in enumerate((item.column_label, item.value,
                                           format_count(item.count))):
                self.table.setItem(row, column, QTableWidgetItem(text))
            combo = QComboBox()
            combo.setAccessibleName(f"{item.column_label}「{item.value}」の対応付け")
            combo.addItem(REFUSE if item.required else KEEP, None)
            for known in item.known:
                combo.addItem(known, known)
            self.table.setCellWidget(row, 3, combo)
            self.combos.append(combo)
        header = self.table.horizontalHeader()
        for column, width in enumerate((110, 170, 64)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(min(360, 40 + 32 * len(self.unknown)))
        self.form.addRow(self.table)

    def chosen(self) -> dict[str, dict[str, str]]:
        """column key → {value as written → listed value}, for the values mapped."""
        out: dict[str, dict[str, str]] = {}
        for item, combo in zip(self.unknown, self.combos, strict=True):
            value = combo.currentData()
            if value is not None:
                out.setdefault(item.column_key, {})[item.value] = str(value)
        return out

    def problem(self) -> str | None:
        if not self.chosen():
            return "対応付ける値を一つ以上選んでください（そのまま取り込むときは閉じてください）。"
        return None

