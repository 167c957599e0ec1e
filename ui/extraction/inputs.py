"""The input widgets the condition editors share: a field chooser grouped by dataset, a
value editor that fits the field's type, an optional narrowing (絞り込み), and the year and
round choosers."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from analysis.specs import NUMERIC_TYPES
from kernel.date_style import DateStyle
from toda_desktop.extraction import FieldTest
from ui import style
from ui.date_field import DateField

if TYPE_CHECKING:
    from toda_desktop.extraction.service import FieldInfo

SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠", "in": "∈",
           "not_in": "∉"}
MULTI = ("in", "not_in")
YEARS = (("当該年度", 0), ("前年度", -1), ("2年前の年度", -2))
ROUNDS = (1, 2, 3, 4)
FIELD_ROLE = Qt.ItemDataRole.UserRole + 1


def hint(text: str) -> QLabel:
    """A muted explanation under a form."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(style.MUTED)
    return label


def year_combo(with_all: bool, name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    for text, offset in YEARS:
        combo.addItem(text, offset)
    if with_all:
        combo.addItem("すべての年度", None)
    return combo


def round_combo(name: str, any_text: str | None = "すべての回") -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    if any_text is not None:
        combo.addItem(any_text, None)
    for r in ROUNDS:
        combo.addItem(f"第{r}回", r)
    return combo


def select_data(combo: QComboBox, data: Any) -> None:
    """Choose the item holding ``data`` (nothing changes if there is none)."""
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)


KEY_FIELDS = frozenset({"school_year", "month", "grade", "class_name", "seat_number", "round"})


def default_field(fields: Sequence[FieldInfo]) -> FieldInfo | None:
    """The field a new condition starts with: a number of monthly data (欠席日数, as the
    example says) rather than the first field of the register (生年月日 ≥ today, which no
    one means)."""
    absence = next((f for f in fields if f.field == "absence_days" and f.has_month), None)
    if absence is not None:
        return absence
    numeric = [f for f in fields if f.type in NUMERIC_TYPES and f.field not in KEY_FIELDS]
    return next((f for f in numeric if f.has_month), numeric[0] if numeric else None)


def _number(text: str) -> int | float:
    plain = unicodedata.normalize("NFKC", text)
    try:
        return int(plain)
    except ValueError:
        return float(plain)


class FieldCombo(QComboBox):
    """Fields grouped by dataset: a bold, unselectable heading per dataset."""

    def __init__(self, fields: Sequence[FieldInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("項目")
        self.setMaxVisibleItems(24)
        model = QStandardItemModel(self)
        last = None
        for f in fields:
            if f.kind != last:
                heading = QStandardItem(f.kind_label)
                heading.setFlags(Qt.ItemFlag.NoItemFlags)
                font = QFont(self.font())
                font.setBold(True)
                heading.setFont(font)
                model.appendRow(heading)
                last = f.kind
            item = QStandardItem(f"　{f.label}")
            item.setData(f, FIELD_ROLE)
            item.setToolTip(f"{f.kind_label} の「{f.label}」")
            model.appendRow(item)
        self.setModel(model)
        first = next((i for i in range(model.rowCount())
                      if model.item(i).data(FIELD_ROLE) is not None), -1)
        self.setCurrentIndex(first)

    def field(self) -> FieldInfo | None:
        value = self.currentData(FIELD_ROLE)
        return value if value is not None else None

    def choose(self, kind: str, key: str) -> bool:
        for i in range(self.count()):
            f = self.itemData(i, FIELD_ROLE)
            if f is not None and f.kind == kind and f.field == key:
                self.setCurrentIndex(i)
                return True
        return False


class ValueEditor(QWidget):
    """The value of a comparison: a list of choices, a date, or typed text / numbers; several
    values for 「のいずれか」."""

    def __init__(self, parent: QWidget | None = None,
                 date_style: DateStyle = DateStyle.SEIREKI) -> None:
        super().__init__(parent)
        self.field: FieldInfo | None = None
        self.multi = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.line = QLineEdit()
        self.line.setAccessibleName("値")
        self.combo = QComboBox()
        self.combo.setAccessibleName("値")
        self.checks = QListWidget()
        self.checks.setAccessibleName("値（複数選択）")
        self.checks.setMaximumHeight(120)
        self.date = DateField(QDate.currentDate(), date_style)  # in the user's date style
        self.date.setAccessibleName("日付")
        self.stack = QStackedWidget()
        self.current: QWidget = self.line
        for w in (self.line, self.combo, self.checks, self.date):
            self.stack.addWidget(w)
        layout.addWidget(self.stack)
        self._show(self.line)

    def _show(self, widget: QWidget) -> None:
        """Only the current editor counts for the size (a stack would take the largest)."""
        self.current = widget
        for w in (self.line, self.combo, self.checks, self.date):
            policy = QSizePolicy.Policy.Preferred if w is widget else QSizePolicy.Policy.Ignored
            w.setSizePolicy(policy, policy)
        self.stack.setCurrentWidget(widget)
        self.stack.adjustSize()
        self.stack.updateGeometry()

    def _choices(self) -> list[tuple[str, Any]]:
        f = self.field
        if f is None:
            return []
        if f.type == "bool":
            return [("はい", True), ("いいえ", False)]
        return [(v, v) for v in f.values]

    def configure(self, field: FieldInfo | None, op: str) -> None:
        """Fit the editor to ``field`` and ``op``; a value typed for a field of the same
        type stays (not a date carried into a number box)."""
        same_type = (field is not None and self.field is not None
                     and field.type == self.field.type)
        keep = self.value_or_none() if same_type else None
        self.field = field
        self.multi = op in MULTI
        choices = self._choices()
        if choices and self.multi:
            self.checks.clear()
            for text, data in choices:
                item = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, data)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.checks.addItem(item)
            self._show(self.checks)
        elif choices:
            self.combo.clear()
            for text, data in choices:
                self.combo.addItem(text, data)
            self._show(self.combo)
        elif field is not None and field.type == "date" and not self.multi:
            self._show(self.date)
        else:
            self.line.setPlaceholderText(
                "「、」で区切って複数入力できます" if self.multi else
                ("数値" if field is not None and field.type in NUMERIC_TYPES else
                 "数値または区分（例: 40、学級生活不満足群）"
                 if field is not None and field.type == "answer" else ""))
            self._show(self.line)
        if keep is not None:
            self.set_value(keep)

    def _parse(self, text: str) -> Any:
        f = self.field
        text = text.strip()
        if f is not None and f.type == "answer":  # a score (55, 0.83) or a category (満足群)
            try:
                return _number(text)
            except ValueError:
                return text
        if f is not None and f.type in NUMERIC_TYPES:
            try:
                return _number(text)
            except ValueError:
                raise ValueError(f"「{text}」は数値ではありません。") from None
        return text

    def value(self) -> Any:
        """The value as the condition stores it; ValueError with a Japanese message."""
        widget = self.current
        if widget is self.checks:
            values = tuple(self.checks.item(i).data(Qt.ItemDataRole.UserRole)
                           for i in range(self.checks.count())
                           if self.checks.item(i).checkState() == Qt.CheckState.Checked)
            if not values:
                raise ValueError("値を1つ以上選んでください。")
            return values
        if widget is self.combo:
            return self.combo.currentData()
        if widget is self.date:
            d = self.date.date()
            return date(d.year(), d.month(), d.day()).isoformat()
        text = self.line.text().strip()
        if not text:
            raise ValueError("値を入力してください。")
        if self.multi:
            plain = text.replace(",", "、").replace("，", "、")
            parts = [p for p in plain.split("、") if p.strip()]
            return tuple(self._parse(p) for p in parts)
        return self._parse(text)

    def value_or_none(self) -> Any:
        try:
            return self.value()
        except ValueError:
            return None

    def set_value(self, value: Any) -> None:
        widget = self.current
        values = value if isinstance(value, tuple | list) else (value,)
        if widget is self.checks:
            for i in range(self.checks.count()):
                item = self.checks.item(i)
                on = item.data(Qt.ItemDataRole.UserRole) in values
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        elif widget is self.combo:
            index = self.combo.findData(values[0] if values else None)
            if index >= 0:
                self.combo.setCurrentIndex(index)
        elif widget is self.date:
            if isinstance(values[0], str):
                d = QDate.fromString(values[0][:10], "yyyy-MM-dd")
                if d.isValid():
                    self.date.setDate(d)
        else:
            self.line.setText("、".join(_text(v) for v in values))


def _text(value: Any) -> str:
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


class WhereEditor(QWidget):
    """An optional narrowing inside the dataset (教科 = 国語, 症状区分 = 心因 …)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.field_combo = QComboBox()
        self.field_combo.setAccessibleName("絞り込む項目")
        self.value = ValueEditor()
        layout.addWidget(self.field_combo, 1)
        layout.addWidget(QLabel("＝"))
        layout.addWidget(self.value, 1)
        self.field_combo.currentIndexChanged.connect(self._changed)
        self.set_fields([])

    def set_fields(self, fields: Sequence[FieldInfo]) -> None:
        self.field_combo.blockSignals(True)
        self.field_combo.clear()
        self.field_combo.addItem("（絞り込まない）", None)
        for f in fields:
            if f.type not in ("date", "time"):
                self.field_combo.addItem(f.label, f)
        self.field_combo.blockSignals(False)
        self._changed()

    def _changed(self) -> None:
        f = self.field_combo.currentData()
        self.value.setEnabled(f is not None)
        self.value.configure(f, "==")

    def tests(self) -> tuple[FieldTest, ...]:
        f = self.field_combo.currentData()
        if f is None:
            return ()
        value = self.value.value()
        if isinstance(value, tuple):
            return (FieldTest(f.field, "in", value),)
        return (FieldTest(f.field, "==", value),)

    def set_tests(self, tests: tuple[FieldTest, ...]) -> None:
        if not tests:
            self.field_combo.setCurrentIndex(0)
            return
        t = tests[0]
        for i in range(self.field_combo.count()):
            f = self.field_combo.itemData(i)
            if f is not None and f.field == t.field:
                self.field_combo.setCurrentIndex(i)
                break
        self.value.set_value(t.value)
