"""The dialog that chooses the data areas one role may see."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.data_dictionary import DOMAIN_LABELS
from toda_desktop.policy.model import DOMAIN_ORDER, Role
from ui import style


class DomainsDialog(QDialog):
    """Which data a role may see: every area, or some of them."""

    def __init__(self, role: Role, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"見られるデータ — {role.label}")
        layout = QVBoxLayout(self)
        self.all_box = QCheckBox("すべてのデータ")
        self.all_box.setChecked("*" in role.domains)
        layout.addWidget(self.all_box)
        self.boxes: dict[str, QCheckBox] = {}
        for key in DOMAIN_ORDER:
            box = QCheckBox(DOMAIN_LABELS.get(key, key))
            box.setChecked(key in role.domains)
            self.boxes[key] = box
            layout.addWidget(box)
        self.all_box.toggled.connect(self._all_toggled)
        self._all_toggled(self.all_box.isChecked())
        note = QLabel("何も選ばないと、児童生徒のデータは一切見られません。")
        note.setStyleSheet(style.MUTED)
        layout.addWidget(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("決定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("やめる")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _all_toggled(self, on: bool) -> None:
        for box in self.boxes.values():
            box.setEnabled(not on)

    def domains(self) -> frozenset[str]:
        if self.all_box.isChecked():
            return frozenset({"*"})
        return frozenset(k for k, box in self.boxes.items() if box.isChecked())
