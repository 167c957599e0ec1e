"""値で絞る: a field compared with a value (any record, or a total/average over a period)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QWidget

from kernel.school_calendar import SCHOOL_MONTHS
from toda_desktop.extraction import AGGREGATES, OPERATORS, Period, Threshold
from ui import style
from ui.extraction.catalog import Catalog, Leaf
from ui.extraction.editors.base import ConditionEditor
from ui.extraction.inputs import (
    SYMBOLS,
    FieldCombo,
    ValueEditor,
    WhereEditor,
    default_field,
    hint,
    round_combo,
    select_data,
    year_combo,
)


class ThresholdEditor(ConditionEditor):
    key = "threshold"
    title = "値で絞る（例: 欠席日数が5日以上の月がある）"

    def __init__(self, catalog: Catalog, *, new: bool, parent: QWidget | None = None) -> None:
        super().__init__(catalog, new=new, parent=parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.field_combo = FieldCombo(catalog.fields)
        self.aggregate_combo = QComboBox()
        self.aggregate_combo.setAccessibleName("集計")
        self.op_combo = QComboBox()
        self.op_combo.setAccessibleName("比較")
        self.value_editor = ValueEditor(date_style=catalog.date_style)
        self.year_combo = year_combo(True, "年度")
        self.month_combo = QComboBox()
        self.month_combo.setAccessibleName("月")
        self.month_combo.addItem("いずれかの月", None)
        for m in SCHOOL_MONTHS:
            self.month_combo.addItem(f"{m}月", m)
        self.round_combo = round_combo("回")
        self.where_editor = WhereEditor()
        compare = QHBoxLayout()
        compare.addWidget(self.op_combo)
        compare.addWidget(self.value_editor, 1)
        period = QHBoxLayout()
        period.addWidget(self.year_combo)
        period.addWidget(self.month_combo)
        period.addWidget(self.round_combo)
        period.addStretch(1)
        self.kind_label = QLabel("")
        self.kind_label.setStyleSheet(style.MUTED)
        field_row = QHBoxLayout()
        field_row.addWidget(self.field_combo, 1)
        field_row.addWidget(self.kind_label)
        form.addRow("項目", field_row)
        form.addRow("集計", self.aggregate_combo)
        form.addRow("比較", compare)
        form.addRow("期間", period)
        form.addRow("絞り込み", self.where_editor)
        form.addRow("", hint("「いずれかの記録」は、期間内のどれか1件（例: どこかの月）が条件に"
                             "合えば該当します。合計・平均などは期間内の記録をまとめて比べます。"))
        start = default_field(catalog.fields) if new else None
        if start is not None:
            self.field_combo.choose(start.kind, start.field)
        self.field_combo.currentIndexChanged.connect(self._field_changed)
        self.op_combo.currentIndexChanged.connect(
            lambda _i: self.value_editor.configure(self.field_combo.field(),
                                                   self.op_combo.currentData()))
        self._field_changed()

    def _field_changed(self) -> None:
        """The aggregates, comparisons, month, round and narrowing the field allows."""
        f = self.field_combo.field()
        self.kind_label.setText("" if f is None else f"（{f.kind_label}）")
        self.aggregate_combo.clear()
        self.op_combo.blockSignals(True)
        self.op_combo.clear()
        if f is not None:
            for key in f.aggregates:
                self.aggregate_combo.addItem(AGGREGATES[key], key)
            for op in f.operators:
                self.op_combo.addItem(f"{SYMBOLS.get(op, op)}　{OPERATORS[op]}", op)
        self.op_combo.blockSignals(False)
        self.value_editor.configure(f, self.op_combo.currentData() or "==")
        self.month_combo.setEnabled(f is not None and f.has_month)
        if f is None or not f.has_month:
            self.month_combo.setCurrentIndex(0)
        rounds = f is not None and self.catalog.has_round(f.kind)
        self.round_combo.setEnabled(rounds)
        if not rounds:
            self.round_combo.setCurrentIndex(0)
        self.where_editor.set_fields([] if f is None else [
            g for g in self.catalog.kind_fields(f.kind) if g.field != f.field])

    def accepts(self, node: Leaf) -> bool:
        return isinstance(node, Threshold)

    def load(self, node: Leaf) -> None:
        assert isinstance(node, Threshold)
        self.field_combo.choose(node.kind, node.field)
        select_data(self.aggregate_combo, node.aggregate)
        select_data(self.op_combo, node.op)
        self.value_editor.configure(self.field_combo.field(), node.op)
        self.value_editor.set_value(node.value)
        period = node.period
        select_data(self.year_combo, None if period is None else period.year_offset)
        select_data(self.month_combo, None if period is None else period.month)
        select_data(self.round_combo, None if period is None else period.round)
        self.where_editor.set_tests(node.where)

    def build(self, *, enabled: bool, negate: bool) -> Leaf:
        f = self.field_combo.field()
        if f is None:
            raise ValueError("項目を選んでください。")
        year = self.year_combo.currentData()
        month = self.month_combo.currentData() if self.month_combo.isEnabled() else None
        rnd = self.round_combo.currentData() if self.round_combo.isEnabled() else None
        period = None if year is None and month is None and rnd is None else Period(
            year, round=rnd, month=month)
        return Threshold(f.kind, f.field, str(self.op_combo.currentData()),
                         self.value_editor.value(), period=period,
                         aggregate=str(self.aggregate_combo.currentData() or "any"),
                         where=self.where_editor.tests(), enabled=enabled, negate=negate)
