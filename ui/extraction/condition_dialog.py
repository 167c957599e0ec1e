"""The dialog that adds or edits one condition of the 抽出 builder.

The user picks the condition type (値・所属・変化・期間内の回数); each type has its own editor
(:mod:`ui.extraction.editors`). The dialog only builds plain condition data
(``toda_desktop.extraction``); the page runs it through the service.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QCheckBox, QComboBox, QVBoxLayout, QWidget

from ui.dialogs import FormDialog
from ui.extraction.catalog import Catalog, Leaf
from ui.extraction.editors import EDITORS, ConditionEditor
from ui.extraction.inputs import select_data


class ConditionDialog(FormDialog):
    """Add or edit one condition; ``node`` is the result after ``submitted``."""

    def __init__(self, catalog: Catalog, node: Leaf | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("条件の編集" if node is not None else "条件の追加", "OK", parent,
                         intro="条件の種類を選び、内容を指定してください。")
        self.setMinimumWidth(620)
        self.catalog = catalog
        self.original = node
        self.node: Leaf | None = None
        self.type_combo = QComboBox()
        self.type_combo.setAccessibleName("条件の種類")
        self.editors: dict[str, ConditionEditor] = {}
        self.pages = QWidget()
        pages_layout = QVBoxLayout(self.pages)
        pages_layout.setContentsMargins(0, 0, 0, 0)
        for editor_type in EDITORS:
            editor = editor_type(catalog, new=node is None)
            self.editors[editor.key] = editor
            pages_layout.addWidget(editor)
            if editor_type.offered(catalog):
                self.type_combo.addItem(editor.title, editor.key)
        self.form.addRow("条件の種類", self.type_combo)
        self.form.addRow(self.pages)
        self.negate_check = QCheckBox("この条件に当てはまらない児童生徒を探す（否定）")
        self.form.addRow("", self.negate_check)
        self.type_combo.currentIndexChanged.connect(self._type_changed)
        self._type_changed()
        if node is not None:
            self.load(node)
        self.adjustSize()

    @property
    def editor(self) -> ConditionEditor:
        """The editor of the chosen condition type."""
        return self.editors[str(self.type_combo.currentData())]

    def _type_changed(self) -> None:
        key = self.type_combo.currentData()
        for name, editor in self.editors.items():
            editor.setVisible(name == key)
        self.adjustSize()

    def choose_type(self, key: str) -> ConditionEditor:
        """Show the editor of condition type ``key`` (as the user picks it) and return it."""
        select_data(self.type_combo, key)
        return self.editors[key]

    def load(self, node: Leaf) -> None:
        """Show an existing condition in the editor of its type."""
        self.negate_check.setChecked(node.negate)
        key = next(key for key, editor in self.editors.items() if editor.accepts(node))
        self.choose_type(key).load(node)

    def build(self) -> Leaf:
        """The condition the form describes; ValueError with a Japanese message."""
        enabled = True if self.original is None else self.original.enabled
        return self.editor.build(enabled=enabled, negate=self.negate_check.isChecked())

    def problem(self) -> str | None:
        try:
            node = self.build()
        except ValueError as exc:
            return str(exc)
        if self.original is not None and node == replace(self.original, label=""):
            node = self.original  # unchanged: keep its wording
        self.node = node
        return None
