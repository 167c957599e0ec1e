"""The condition tree of the 抽出 builder: groups that combine conditions with すべて (AND)
or いずれか (OR), nested up to :data:`MAX_DEPTH`, each condition and group switched on or
off. The widgets hold plain condition data and give it back with ``to_node()``; adding
and editing a condition is asked of the page (which opens the dialog)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.extraction import Group
from ui import style
from ui.extraction.catalog import Leaf

Describe = Callable[..., str]
ChildT = TypeVar("ChildT", "ConditionRow", "GroupBox")

MAX_DEPTH = 2  # the top group, groups inside it, and groups inside those
GROUP_STYLES = (
    "QFrame#conditionGroup { background: #f7f9fc; border: 1px solid #c9d3e0;"
    " border-radius: 6px; }",
    "QFrame#conditionGroup { background: #eef3fa; border: 1px solid #b6c6dc;"
    " border-radius: 6px; }",
    "QFrame#conditionGroup { background: #e6eef8; border: 1px solid #a9bcd6;"
    " border-radius: 6px; }",
)
LEAF_STYLE = (
    "QFrame#conditionRow { background: white; border: 1px solid #d0d7de; border-radius: 4px; }"
)


class ConditionRow(QFrame):
    """One condition: on/off, what it says, 編集… and 削除."""

    changed = Signal()
    edit_requested = Signal(object)  # self
    remove_requested = Signal(object)  # self

    def __init__(self, node: Leaf, describe: Describe, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conditionRow")
        self.setStyleSheet(LEAF_STYLE)
        self._describe = describe
        self.node = node
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 6, 4)
        self.check = QCheckBox()
        self.check.setToolTip("この条件を使う／使わない")
        self.check.setChecked(node.enabled)
        self.check.toggled.connect(self._toggled)
        self.text_label = QLabel("")
        self.text_label.setWordWrap(True)
        self.text_label.setSizePolicy(QSizePolicy.Policy.Expanding,
                                      QSizePolicy.Policy.Preferred)
        self.edit_button = QPushButton("編集…")
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self))
        self.remove_button = QPushButton("削除")
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        layout.addWidget(self.check)
        layout.addWidget(self.text_label, 1)
        layout.addWidget(self.edit_button)
        layout.addWidget(self.remove_button)
        self.set_node(node)

    @property
    def description(self) -> str:
        try:
            return str(self._describe(self.node))
        except (KeyError, ValueError):
            return "（この条件は表示できません）"

    def set_node(self, node: Leaf) -> None:
        self.node = node
        self.check.blockSignals(True)
        self.check.setChecked(node.enabled)
        self.check.blockSignals(False)
        self.check.setAccessibleName(f"条件を使う: {self.description}")
        self.text_label.setText(self.description)
        self.text_label.setEnabled(node.enabled)
        self.changed.emit()

    def _toggled(self, on: bool) -> None:
        self.node = replace(self.node, enabled=on)
        self.text_label.setEnabled(on)
        self.changed.emit()

    def to_node(self) -> Leaf:
        return self.node


class GroupBox(QFrame):
    """A group of conditions combined with すべて (AND) or いずれか (OR)."""

    changed = Signal()
    add_condition_requested = Signal(object)  # self
    edit_requested = Signal(object)  # ConditionRow
    remove_requested = Signal(object)  # self
    # (group, child): 削除 was pressed; the page asks first, then calls ``take_child``.
    delete_requested = Signal(object, object)

    def __init__(self, group: Group, depth: int, describe: Describe,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conditionGroup")
        self.setStyleSheet(GROUP_STYLES[min(depth, len(GROUP_STYLES) - 1)])
        self.level = depth
        self._describe = describe
        self._label = group.label
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(6)
        head = QHBoxLayout()
        self.enabled_check: QCheckBox | None = None
        if depth > 0:
            self.enabled_check = QCheckBox()
            self.enabled_check.setToolTip("このグループを使う／使わない")
            self.enabled_check.setAccessibleName("グループを使う")
            self.enabled_check.setChecked(group.enabled)
            self.enabled_check.toggled.connect(self._changed)
            head.addWidget(self.enabled_check)
        head.addWidget(QLabel("次の条件の" if depth == 0 else "グループ: 条件の"))
        self.op_combo = QComboBox()
        self.op_combo.setAccessibleName("条件の組み合わせ")
        self.op_combo.addItem("すべて（かつ）", "and")
        self.op_combo.addItem("いずれか（または）", "or")
        self.op_combo.setCurrentIndex(0 if group.op == "and" else 1)
        self.op_combo.currentIndexChanged.connect(self._changed)
        head.addWidget(self.op_combo)
        head.addWidget(QLabel("に"))
        self.negate_check = QCheckBox("当てはまらない")
        self.negate_check.setToolTip(
            "印を付けると、このグループに当てはまらない児童生徒を探します")
        self.negate_check.setChecked(group.negate)
        self.negate_check.toggled.connect(self._changed)
        head.addWidget(self.negate_check)
        head.addStretch(1)
        self.add_button = QPushButton("＋条件")
        self.add_button.setToolTip("このグループに条件を追加します")
        self.add_button.clicked.connect(lambda: self.add_condition_requested.emit(self))
        head.addWidget(self.add_button)
        self.add_group_button: QPushButton | None = None
        if depth < MAX_DEPTH:
            self.add_group_button = QPushButton("＋グループ")
            self.add_group_button.setToolTip(
                "「かつ」「または」を組み合わせるためのグループを追加します")
            self.add_group_button.clicked.connect(lambda: self.add_group(Group("or")))
            head.addWidget(self.add_group_button)
        if depth > 0:
            remove = QPushButton("削除")
            remove.setToolTip("このグループを中の条件ごと削除します")
            remove.clicked.connect(lambda: self.remove_requested.emit(self))
            head.addWidget(remove)
        layout.addLayout(head)
        self.items_layout = QVBoxLayout()
        self.items_layout.setContentsMargins(18, 0, 0, 0)
        self.items_layout.setSpacing(5)
        layout.addLayout(self.items_layout)
        self.empty_label = QLabel("条件がありません。「＋条件」で追加してください。")
        self.empty_label.setStyleSheet(style.MUTED)
        self.items_layout.addWidget(self.empty_label)
        self.children_: list[ConditionRow | GroupBox] = []
        for item in group.items:
            if isinstance(item, Group):
                self.add_group(item)
            else:
                self.add_leaf(item)
        self._update_empty()
        if depth == 0:
            layout.addStretch(1)

    def _changed(self) -> None:
        self.changed.emit()

    def _update_empty(self) -> None:
        self.empty_label.setVisible(not self.children_)

    def add_leaf(self, node: Leaf, at: int | None = None) -> ConditionRow:
        row = ConditionRow(node, self._describe)
        row.changed.connect(self._changed)
        row.edit_requested.connect(self.edit_requested)
        row.remove_requested.connect(lambda child: self.delete_requested.emit(self, child))
        return self._place(row, at)

    def add_group(self, group: Group, at: int | None = None) -> GroupBox:
        box = GroupBox(group, self.level + 1, self._describe)
        box.changed.connect(self._changed)
        box.add_condition_requested.connect(self.add_condition_requested)
        box.edit_requested.connect(self.edit_requested)
        box.remove_requested.connect(lambda child: self.delete_requested.emit(self, child))
        box.delete_requested.connect(self.delete_requested)
        return self._place(box, at)

    def _place(self, child: ChildT, at: int | None) -> ChildT:
        """Add ``child`` at position ``at`` (the end when None)."""
        index = len(self.children_) if at is None else max(0, min(at, len(self.children_)))
        self.children_.insert(index, child)
        self.items_layout.insertWidget(index + 1, child)  # (after the empty-group note)
        self._update_empty()
        self.changed.emit()
        return child

    def take_child(self, child: ConditionRow | GroupBox) -> tuple[int, Leaf | Group] | None:
        """Remove a condition or group; returns where it was and what it held, so that
        「元に戻す」 can put it back with :meth:`restore`."""
        if child not in self.children_:
            return None
        index = self.children_.index(child)
        node = child.to_node()
        self.remove_child(child)
        return index, node

    def restore(self, index: int, node: Leaf | Group) -> ConditionRow | GroupBox:
        if isinstance(node, Group):
            return self.add_group(node, index)
        return self.add_leaf(node, index)

    def remove_child(self, child: ConditionRow | GroupBox) -> None:
        if child in self.children_:
            self.children_.remove(child)
            self.items_layout.removeWidget(child)
            child.hide()
            child.deleteLater()
            self._update_empty()
            self.changed.emit()

    def rows(self) -> list[ConditionRow]:
        out: list[ConditionRow] = []
        for child in self.children_:
            out += child.rows() if isinstance(child, GroupBox) else [child]
        return out

    def groups(self) -> list[GroupBox]:
        out: list[GroupBox] = []
        for child in self.children_:
            if isinstance(child, GroupBox):
                out += [child, *child.groups()]
        return out

    def to_node(self) -> Group:
        return Group(
            op=str(self.op_combo.currentData()),
            items=tuple(c.to_node() for c in self.children_),
            label=self._label,
            enabled=self.enabled_check.isChecked() if self.enabled_check is not None else True,
            negate=self.negate_check.isChecked(),
        )


# -- the page ------------------------------------------------------------------------------
