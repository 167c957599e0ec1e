"""所属で絞る: pupils enrolled in one of the chosen schools or grades in a given year
(a :class:`Membership` condition, labelled with the schools' names as the list shows them)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QListWidget, QListWidgetItem, QWidget

from toda_desktop.extraction import MEMBERSHIP_TARGETS, Membership
from toda_desktop.formatting import grade_label
from ui.extraction.catalog import Catalog, Leaf
from ui.extraction.editors.base import ConditionEditor
from ui.extraction.inputs import select_data, year_combo


class MembershipEditor(ConditionEditor):
    key = "membership"
    title = "所属で絞る（学校・学年）"

    def __init__(self, catalog: Catalog, *, new: bool, parent: QWidget | None = None) -> None:
        super().__init__(catalog, new=new, parent=parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.target_combo = QComboBox()
        self.target_combo.setAccessibleName("所属の種類")
        for target, word in MEMBERSHIP_TARGETS.items():
            self.target_combo.addItem(word, target)
        self.values_list = QListWidget()
        self.values_list.setAccessibleName("所属（複数選択）")
        self.values_list.setMinimumHeight(150)
        self.year_combo = year_combo(True, "年度")
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
        return isinstance(node, Membership)

    def load(self, node: Leaf) -> None:
        assert isinstance(node, Membership)
        select_data(self.target_combo, node.target)
        for i in range(self.values_list.count()):
            item = self.values_list.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in node.values
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        select_data(self.year_combo, node.year_offset)

    def build(self, *, enabled: bool, negate: bool) -> Leaf:
        checked = [self.values_list.item(i) for i in range(self.values_list.count())
                   if self.values_list.item(i).checkState() == Qt.CheckState.Checked]
        if not checked:
            raise ValueError("学校または学年を1つ以上選んでください。")
        target = str(self.target_combo.currentData())
        offset = self.year_combo.currentData()
        names = "・".join(item.text() for item in checked)
        year = ("" if offset == 0 else "（いずれかの年度）" if offset is None
                else f"（{self.year_combo.currentText()}）")
        return Membership(target,
                          tuple(item.data(Qt.ItemDataRole.UserRole) for item in checked),
                          year_offset=offset,
                          label=f"{MEMBERSHIP_TARGETS[target]}が{names}のいずれか{year}",
                          enabled=enabled, negate=negate)
