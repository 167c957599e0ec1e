"""The dialog's choices: school years as check boxes in a row, and the variables as a tree
of kinds and their columns (Japanese labels from the registry, as the service gives them)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QTreeWidget, QTreeWidgetItem, QWidget

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_school_year
from toda_desktop.research.catalogue import Variable

CHECKED = Qt.CheckState.Checked
UNCHECKED = Qt.CheckState.Unchecked
KEY = Qt.ItemDataRole.UserRole


class YearChoice(QWidget):
    """One check box per school year (newest first; the newest checked)."""

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[tuple[int, QCheckBox]] = []

    def set_years(self, years: Sequence[int]) -> None:
        for _, box in self.boxes:
            box.deleteLater()
        self.boxes = []
        for i, year in enumerate(years):
            box = QCheckBox(format_school_year(year, self._style))
            box.setChecked(i == 0)
            self._row.addWidget(box)
            self.boxes.append((year, box))
        self._row.addStretch(1)

    def chosen(self) -> tuple[int, ...]:
        return tuple(year for year, box in self.boxes if box.isChecked())


class VariableTree(QTreeWidget):
    """Kinds with their columns, each checkable; a kind checks or clears all its columns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["データ・項目", "型", "出力のしかた"])
        self.setAccessibleName("含めるデータ")
        self.setColumnWidth(0, 320)
        self.setColumnWidth(1, 80)

    def set_variables(self, variables: Sequence[Variable]) -> None:
        self.clear()
        kinds: dict[str, QTreeWidgetItem] = {}
        for v in variables:
            parent = kinds.get(v.kind)
            if parent is None:
                parent = QTreeWidgetItem(self, [v.kind_label, "", ""])
                parent.setFlags(parent.flags() | Qt.ItemFlag.ItemIsAutoTristate
                                | Qt.ItemFlag.ItemIsUserCheckable)
                parent.setCheckState(0, UNCHECKED)
                kinds[v.kind] = parent
            item = QTreeWidgetItem(parent, [v.label, v.type_label, v.note])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, UNCHECKED)
            item.setData(0, KEY, (v.kind, v.column))

    def check_kind(self, kind_label: str) -> None:
        """Check every column of a kind (as a click on its box does)."""
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item is not None and item.text(0) == kind_label:
                item.setCheckState(0, CHECKED)

    def chosen(self) -> tuple[tuple[str, str], ...]:
        out = []
        for i in range(self.topLevelItemCount()):
            parent = self.topLevelItem(i)
            if parent is None:
                continue
            for j in range(parent.childCount()):
                child = parent.child(j)
                if child is not None and child.checkState(0) == CHECKED:
                    out.append(child.data(0, KEY))
        return tuple(out)
