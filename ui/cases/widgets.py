"""The pieces the case forms are laid out with, so that they read like the paper sheets
(児童生徒理解・支援シート): a ruled grid of shaded label cells beside their entries, a date
entry that also writes the day in the user's date style, and an editable list with
行を追加 / 選んだ行を削除 (attendees, actions).

Every entry reports edits through ``edited`` (the draft timer listens) and can be made
read-only for roles without ``case_edit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_date
from ui import style

RULE = "#9aa5b1"
LABEL_BG = "#eef1f5"
SHEET_CSS = (
    f"QFrame#caseSheet {{ background: white; border: 1px solid {RULE}; }}"
    f" QLabel[cell=\"label\"] {{ background: {LABEL_BG}; border-right: 1px solid {RULE};"
    f" border-bottom: 1px solid {RULE}; padding: 6px 8px; font-weight: bold; }}"
    f" QWidget[cell=\"value\"] {{ border-bottom: 1px solid {RULE}; }}"
    " QPlainTextEdit, QLineEdit { border: none; background: white; padding: 2px; }"
    " QPlainTextEdit:read-only, QLineEdit:read-only { background: #fafbfc; }"
)
SHEET_TITLE_CSS = (
    "font-size: 13pt; font-weight: bold; padding: 4px 0; border-bottom: 2px solid #34495e;"
)


def sheet_title(text: str) -> QLabel:
    """The title of a sheet, ruled underneath as on the printed form."""
    label = QLabel(text)
    label.setStyleSheet(SHEET_TITLE_CSS)
    return label


def reason_combo(reasons: Sequence[str], name: str, width: int) -> QComboBox:
    """A reason chosen from common ones or written, empty at first (a deliberate answer);
    ``name`` is what it asks for: 「開く理由」, 「取り下げる理由」."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.addItems(list(reasons))
    combo.setCurrentIndex(-1)
    combo.setEditText("")
    line = combo.lineEdit()
    if line is not None:
        line.setPlaceholderText(f"{name}を選ぶか、入力してください")
    combo.setAccessibleName(name)
    combo.setMinimumWidth(width)
    return combo


def muted(text: str, *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(style.MUTED)
    label.setWordWrap(wrap)
    return label


@dataclass(frozen=True)
class FieldSpec:
    """One entry of a sheet: its key (as the service names it), its printed label, and how
    many lines it gets (1: a single line; more: a text box of that height)."""

    key: str
    label: str
    lines: int = 3
    hint: str = ""


class SheetGrid(QFrame):
    """Label cells on the left, entries on the right, ruled like the paper form."""

    edited = Signal()

    def __init__(self, fields: Sequence[FieldSpec], parent: QWidget | None = None, *,
                 label_width: int = 170) -> None:
        super().__init__(parent)
        self.setObjectName("caseSheet")
        self.setStyleSheet(SHEET_CSS)
        self.fields = tuple(fields)
        self.entries: dict[str, QLineEdit | QPlainTextEdit] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(0)
        for row, spec in enumerate(self.fields):
            label = QLabel(spec.label)
            label.setProperty("cell", "label")
            label.setFixedWidth(label_width)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            entry: QLineEdit | QPlainTextEdit
            if spec.lines <= 1:
                entry = QLineEdit()
                entry.textEdited.connect(lambda _t: self.edited.emit())
            else:
                entry = QPlainTextEdit()
                entry.setTabChangesFocus(True)
                line = entry.fontMetrics().lineSpacing()
                entry.setFixedHeight(line * spec.lines + 14)
                entry.textChanged.connect(self._text_changed)
            if spec.hint:
                entry.setPlaceholderText(spec.hint)
            entry.setAccessibleName(spec.label)
            cell = QWidget()
            cell.setProperty("cell", "value")
            box = QVBoxLayout(cell)
            box.setContentsMargins(4, 3, 4, 3)
            box.addWidget(entry)
            grid.addWidget(label, row, 0)
            grid.addWidget(cell, row, 1)
            self.entries[spec.key] = entry
        grid.setColumnStretch(1, 1)
        self._loading = False

    def _text_changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, entry in self.entries.items():
            out[key] = entry.text() if isinstance(entry, QLineEdit) else entry.toPlainText()
        return out

    def set_values(self, values: dict[str, str]) -> None:
        self._loading = True
        try:
            for key, entry in self.entries.items():
                text = values.get(key) or ""
                if isinstance(entry, QLineEdit):
                    entry.setText(text)
                else:
                    entry.setPlainText(text)
        finally:
            self._loading = False

    def set_read_only(self, read_only: bool) -> None:
        for entry in self.entries.values():
            entry.setReadOnly(read_only)


def to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def from_qdate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class DateField(QWidget):
    """A day chosen with a calendar, written beside it in the user's date style
    (「令和8年7月14日」), so the entry is never misread."""

    edited = Signal()

    def __init__(self, day: date, date_style: DateStyle, parent: QWidget | None = None, *,
                 accessible_name: str = "日付") -> None:
        super().__init__(parent)
        self._style = date_style
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QDateEdit(to_qdate(day))
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("yyyy/MM/dd")
        self.edit.setAccessibleName(accessible_name)
        self.written = QLabel("")
        self.written.setStyleSheet(style.MUTED)
        layout.addWidget(self.edit)
        layout.addWidget(self.written)
        layout.addStretch(1)
        self.edit.dateChanged.connect(self._changed)
        self._loading = False
        self._write()

    def _write(self) -> None:
        self.written.setText(format_date(self.day(), self._style))

    def _changed(self, _day: QDate) -> None:
        self._write()
        if not self._loading:
            self.edited.emit()

    def day(self) -> date:
        return from_qdate(self.edit.date())

    def set_day(self, day: date) -> None:
        self._loading = True
        try:
            self.edit.setDate(to_qdate(day))
        finally:
            self._loading = False
        self._write()

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.edit.setCalendarPopup(not read_only)


@dataclass(frozen=True)
class ColumnSpec:
    """A column of an editable list: its key, header, width, and the choices offered
    (an editable drop-down: a choice or free text)."""

    key: str
    header: str
    width: int = 0
    choices: tuple[str, ...] = ()


class ChoiceDelegate(QStyledItemDelegate):
    """An editable drop-down for cells with suggested values (役割, 状況)."""

    def __init__(self, choices: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._choices = list(choices)

    def createEditor(self, parent: QWidget, _option: object, _index: object) -> QWidget:
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.addItems(self._choices)
        return combo

    def setEditorData(self, editor: QWidget, index: object) -> None:
        assert isinstance(editor, QComboBox)
        text = str(index.data() or "")  # type: ignore[attr-defined]
        editor.setCurrentText(text)

    def setModelData(self, editor: QWidget, model: object, index: object) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentText().strip())  # type: ignore[attr-defined]


class RowsEditor(QWidget):
    """A short editable list (attendees, actions) with 行を追加 and 選んだ行を削除."""

    edited = Signal()

    def __init__(self, columns: Sequence[ColumnSpec], accessible_name: str,
                 parent: QWidget | None = None, *, add_text: str = "行を追加",
                 visible_rows: int = 4) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.table = QTableWidget(0, len(self.columns))
        self.table.setHorizontalHeaderLabels([c.header for c in self.columns])
        self.table.setAccessibleName(accessible_name)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setTabKeyNavigation(True)
        header = self.table.horizontalHeader()
        for n, column in enumerate(self.columns):
            if column.width:
                header.setSectionResizeMode(n, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(n, column.width)
            else:
                header.setSectionResizeMode(n, QHeaderView.ResizeMode.Stretch)
            if column.choices:
                self.table.setItemDelegateForColumn(n, ChoiceDelegate(column.choices, self))
        self._visible_rows = visible_rows
        self._fit()
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.table.itemChanged.connect(self._item_changed)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(add_text)
        self.add_button.clicked.connect(lambda: self.add_row({}, edit=True))
        self.remove_button = QPushButton("選んだ行を削除")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._loading = False

    def _fit(self) -> None:
        """Tall enough for every row (up to ten), so a saved record reads without scrolling."""
        rows = min(max(self._visible_rows, self.table.rowCount() + 1), 10)
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header + 28 * rows + 6)

    def _item_changed(self, _item: QTableWidgetItem) -> None:
        if not self._loading:
            self.edited.emit()

    def add_row(self, values: dict[str, str], *, edit: bool = False) -> int:
        self._loading = True
        try:
            row = self.table.rowCount()
            self.table.insertRow(row)
            for n, column in enumerate(self.columns):
                self.table.setItem(row, n, QTableWidgetItem(values.get(column.key, "")))
        finally:
            self._loading = False
        self._fit()
        if edit:
            self.table.setCurrentCell(row, 0)
            first = self.table.item(row, 0)
            if first is not None:
                self.table.editItem(first)
            self.edited.emit()
        return row

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        self._fit()
        if rows:
            self.edited.emit()

    def rows(self) -> list[dict[str, str]]:
        """The rows with any text in them (blank rows are left out)."""
        out = []
        for row in range(self.table.rowCount()):
            values = {}
            for n, column in enumerate(self.columns):
                item = self.table.item(row, n)
                values[column.key] = item.text().strip() if item is not None else ""
            if any(values.values()):
                out.append(values)
        return out

    def set_rows(self, rows: Sequence[dict[str, str]]) -> None:
        self._loading = True
        try:
            self.table.setRowCount(0)
        finally:
            self._loading = False
        for values in rows:
            self.add_row(values)

    def set_read_only(self, read_only: bool) -> None:
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers if read_only
                                   else QAbstractItemView.EditTrigger.AllEditTriggers)
        self.add_button.setVisible(not read_only)
        self.remove_button.setVisible(not read_only)
