"""期間内の回数で絞る: at least n records within d days (e.g. 30日間に保健室利用3回以上)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QSpinBox, QWidget

from toda_desktop.extraction import CountInWindow, Period
from ui.extraction.catalog import Catalog, Leaf
from ui.extraction.editors.base import ConditionEditor
from ui.extraction.inputs import WhereEditor, select_data, year_combo


class CountEditor(ConditionEditor):
    key = "count"
    title = "期間内の回数で絞る（例: 30日間に保健室利用3回以上）"

    def __init__(self, catalog: Catalog, *, new: bool, parent: QWidget | None = None) -> None:
        super().__init__(catalog, new=new, parent=parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("データ")
        for kind, label in catalog.event_kinds:
            self.kind_combo.addItem(label, kind)
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 999)
        self.count_spin.setValue(3)
        self.count_spin.setSuffix(" 回以上")
        self.count_spin.setAccessibleName("回数")
        self.days_spin = QSpinBox()
        self.days_spin.setRange(1, 366)
        self.days_spin.setValue(30)
        self.days_spin.setSuffix(" 日以内に")
        self.days_spin.setAccessibleName("日数")
        self.year_combo = year_combo(True, "年度")
        self.where_editor = WhereEditor()
        row = QHBoxLayout()
        row.addWidget(self.days_spin)
        row.addWidget(self.count_spin)
        row.addStretch(1)
        form.addRow("データ", self.kind_combo)
        form.addRow("回数", row)
        form.addRow("期間", self.year_combo)
        form.addRow("絞り込み", self.where_editor)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self._kind_changed()

    @classmethod
    def offered(cls, catalog: Catalog) -> bool:
        return bool(catalog.event_kinds)

    def _kind_changed(self) -> None:
        self.where_editor.set_fields(
            self.catalog.kind_fields(str(self.kind_combo.currentData())))

    def accepts(self, node: Leaf) -> bool:
        return isinstance(node, CountInWindow)

    def load(self, node: Leaf) -> None:
        assert isinstance(node, CountInWindow)
        select_data(self.kind_combo, node.kind)
        self.count_spin.setValue(node.min_count)
        self.days_spin.setValue(node.window_days)
        select_data(self.year_combo, None if node.period is None else node.period.year_offset)
        self.where_editor.set_tests(node.where)

    def build(self, *, enabled: bool, negate: bool) -> Leaf:
        kind = self.kind_combo.currentData()
        if kind is None:
            raise ValueError("データを選んでください。")
        year = self.year_combo.currentData()
        return CountInWindow(str(kind), self.count_spin.value(), self.days_spin.value(),
                             period=None if year is None else Period(year),
                             where=self.where_editor.tests(), enabled=enabled, negate=negate)
