"""所属で絞る: pupils enrolled in one of the chosen schools or grades in a given year.

The extraction model stores it as a Threshold on the enrollments' school or grade with
``in`` and a label; this editor is chosen for such a Threshold before the value editor."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QListWidget, QListWidgetItem, QWidget

from toda_desktop.extraction import Period, Threshold
from ui.extraction.catalog import Catalog, Leaf
from ui.extraction.editors.base import ConditionEditor
from ui.extraction.inputs import select_data, year_combo
from ui.pupil_tables import grade_label

TARGETS = ("school_code", "grade")


class MembershipEditor(ConditionEditor):
    key = "membership"
    title = "所属で絞る（学校・学年）"

    def __init__(self, catalog: Catalog, *, new: bool, parent: QWidget | None = None) -> None:
        super().__init__(catalog, new=new, parent=parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.target_combo = QComboBox()
        self.target_combo.setAccessibleName("所属の種類")
        self.target_combo.addItem("学校", "school_code")
        self.target_combo.addItem("学年", "grade")
        self.values_list = QListWidget()
        self.values_list.setAccessibleName("所属（複数選択）")
        self.values_list.setMinimumHeight(150)
        self.year_combo = year_combo(False, "年度")
        form.addRow("所属", self.target_combo)
        form.addRow("いずれか", self.values_list)
        form.addRow("年度", self.year_combo)
        self.target_combo.currentIndexChanged.connect(self._target_changed)
        self._target_changed()

    @classmethod
    def offered(cls, catalog: Catalog) -> bool:
        return catalog.membership

    def _target_changed(self) -> None:
        self.values_list.clear()
        if self.target_combo.currentData() == "school_code":
            items: list[tuple[str, Any]] = [(name, code) for code, name in self.catalog.schools]
        else:
            items = [(grade_label(g), g) for g in self.catalog.grades]
        for text, data in items:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, data)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.values_list.addItem(item)

    def accepts(self, node: Leaf) -> bool:
        return (isinstance(node, Threshold) and node.kind == "enrollments"
                and node.field in TARGETS and node.op == "in" and self.catalog.membership)

    def load(self, node: Leaf) -> None:
        assert isinstance(node, Threshold)
        select_data(self.target_combo, node.field)
        values = node.value if isinstance(node.value, tuple) else (node.value,)
        for i in range(self.values_list.count()):
            item = self.values_list.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in values
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        select_data(self.year_combo, 0 if node.period is None else node.period.year_offset)

    def build(self, *, enabled: bool, negate: bool) -> Leaf:
        checked = [self.values_list.item(i) for i in range(self.values_list.count())
                   if self.values_list.item(i).checkState() == Qt.CheckState.Checked]
        if not checked:
            raise ValueError("学校または学年を1つ以上選んでください。")
        target = str(self.target_combo.currentData())
        offset = self.year_combo.currentData()
        names = "・".join(item.text() for item in checked)
        what = "学校" if target == "school_code" else "学年"
        year = "" if offset == 0 else f"（{self.year_combo.currentText()}）"
        return Threshold("enrollments", target, "in",
                         tuple(item.data(Qt.ItemDataRole.UserRole) for item in checked),
                         period=Period(offset), label=f"{what}が{names}のいずれか{year}",
                         enabled=enabled, negate=negate)
