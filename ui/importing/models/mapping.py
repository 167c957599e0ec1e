"""The header mapping of one file: a row per file column with the column it goes to, the
choices, what the choices lack, and the editable table model with its combo-box delegate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ui import style
from ui.importing.widgets import WARNING_COLOR

Index = QModelIndex | QPersistentModelIndex

IGNORE_LABEL = "取り込まない"
STATUS_TIPS = {
    "重複しています": "二つの見出しが同じ列になっています。"
                      "どちらかを「取り込まない」にしてください。",
    "推定・要確認": "見出しの括弧書きを除いて推定しました。正しいか確認してください。",
    "対応する列なし": "この見出しに当たる列が見つからないため、取り込みません。"
                      "取り込む場合は「取り込む列」で選んでください。",
    "変更あり（未保存）": "「この対応を保存」を押すと、この提出元の次の取込でも使われます。",
}


@dataclass
class MappingRow:
    position: int
    header: str
    sample: str
    key: str | None
    status: str
    original: str | None = None
    original_status: str = ""

    def __post_init__(self) -> None:
        self.original, self.original_status = self.key, self.status

    @property
    def changed(self) -> bool:
        return self.key != self.original


@dataclass(frozen=True)
class ColumnChoice:
    key: str | None
    label: str


def column_choices(kind: Any) -> list[ColumnChoice]:
    """The combo's items: 取り込まない, then the kind's columns (required ones marked)."""
    choices = [ColumnChoice(None, IGNORE_LABEL)]
    for column in kind.columns:
        label = str(column.label) + ("（必須）" if column.required else "")
        choices.append(ColumnChoice(str(column.key), label))
    return choices


def mapping_rows(inspection: Any) -> list[MappingRow]:
    """One row per file column, with the service's mapping and a plain status."""
    mapping = inspection.mapping
    raw = inspection.raw
    headers: tuple[str, ...] = tuple(raw.headers)
    first = raw.frame.iloc[0] if len(raw.frame) else None
    key_at = {} if mapping is None else {pos: key for key, pos in mapping.positions.items()}
    rows = []
    for pos, header in enumerate(headers):
        sample = "" if first is None else str(first.iloc[pos]) if pos < len(first) else ""
        key = key_at.get(pos)
        if mapping is None:
            status = "種類を選んでください"
        elif pos in mapping.duplicates:
            status = "重複しています"
        elif pos in mapping.inferred:
            status = "推定・要確認"
        elif key is not None:
            status = "対応済み"
        elif pos in mapping.ignored:
            status = "取り込まない（保存済み）"
        elif pos in mapping.derived:
            status = "ほかの列から求めます"
        else:
            status = "対応する列なし"
        rows.append(MappingRow(pos, header, sample, key, status))
    return rows


def mapping_problems(kind: Any, rows: Sequence[MappingRow]) -> list[str]:
    """What the current (maybe unsaved) choices lack: required columns, a column chosen twice."""
    chosen: dict[str, list[MappingRow]] = {}
    for row in rows:
        if row.key is not None:
            chosen.setdefault(row.key, []).append(row)
    labels = {str(c.key): str(c.label) for c in kind.columns}
    problems = []
    for column in kind.columns:
        if column.required and column.key not in chosen:
            problems.append(
                f"必須の列「{column.label}」がありません。ファイルの見出しのどれかが"
                f"「{column.label}」にあたる場合は、その行の「取り込む列」で選んでください。"
            )
    for key, same in chosen.items():
        if len(same) > 1:
            names = "と".join(f"「{r.header or f'{r.position + 1}列目'}」" for r in same)
            problems.append(
                f"{names}がどちらも「{labels.get(key, key)}」になっています。"
                "どちらか一方を「取り込まない」にしてください。"
            )
    return problems


class MappingModel(QAbstractTableModel):
    HEADERS = ("ファイルの見出し", "1行目の値", "取り込む列", "状態")
    CHOICE_COLUMN = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[MappingRow] = []
        self.choices: list[ColumnChoice] = [ColumnChoice(None, IGNORE_LABEL)]

    def set_rows(self, rows: Sequence[MappingRow], choices: Sequence[ColumnChoice]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.choices = list(choices)
        self.endResetModel()

    @property
    def dirty(self) -> bool:
        return any(r.changed for r in self.rows)

    def choice_label(self, key: str | None) -> str:
        for choice in self.choices:
            if choice.key == key:
                return choice.label
        return IGNORE_LABEL if key is None else key

    def saved_form(self) -> dict[str, str | None]:
        """What ``remap`` takes: raw header → column key, or None for 取り込まない."""
        return {row.header: row.key for row in self.rows}

    def set_choice(self, row: int, key: str | None) -> None:
        self.setData(self.index(row, self.CHOICE_COLUMN), key, Qt.ItemDataRole.EditRole)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == self.CHOICE_COLUMN:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            header = row.header or f"（{row.position + 1}列目・見出しなし）"
            return (header, row.sample, self.choice_label(row.key), row.status)[column]
        if role == Qt.ItemDataRole.EditRole and column == self.CHOICE_COLUMN:
            return row.key
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return row.sample or None
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return STATUS_TIPS.get(row.status)
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            if row.changed:
                return QColor(style.ACCENT)
            if row.status.startswith(("重複", "推定")):
                return QColor(WARNING_COLOR)
            if row.key is None:
                return QColor(style.MUTED_COLOR)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != self.CHOICE_COLUMN:
            return False
        if role != Qt.ItemDataRole.EditRole:
            return False
        row = self.rows[index.row()]
        key = None if value in (None, "") else str(value)
        if key == row.key:
            return False
        row.key = key
        row.status = "変更あり（未保存）" if row.changed else row.original_status
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), 3))
        return True


class ColumnChoiceDelegate(QStyledItemDelegate):
    """A combo box in the 取り込む列 column (opened as a persistent editor on every row)."""

    def __init__(self, model: MappingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.setAccessibleName("取り込む列")
        for choice in self._model.choices:
            combo.addItem(choice.label, choice.key)
        combo.currentIndexChanged.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        position = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.blockSignals(True)
        editor.setCurrentIndex(max(position, 0))
        editor.blockSignals(False)

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
