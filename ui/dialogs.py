"""Small dialogs shared by the pages: a form that runs a service call, a confirmation.

Dialogs are opened with ``open()`` (window-modal, no nested event loop), so the idle lock
can close them and tests can drive them like a user.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import style


class FormDialog(QDialog):
    """A form with an inline error line; ``submitted`` fires when the input looks complete.

    The page runs the service call and then calls :meth:`accept` or :meth:`show_error`, so
    the dialog stays open with the Japanese message when the service refuses.
    """

    submitted = Signal()

    def __init__(
        self, title: str, ok_text: str, parent: QWidget | None = None, intro: str = ""
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        self.intro_label: QLabel | None = None
        if intro:
            intro_label = QLabel(intro)
            intro_label.setWordWrap(True)
            layout.addWidget(intro_label)
            self.intro_label = intro_label
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(self.form)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(style.ERROR_TEXT)
        self.error_label.setAccessibleName("エラー")
        self.error_label.hide()
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox()
        self.ok_button = QPushButton(ok_text)
        self.ok_button.setDefault(True)
        self.cancel_button = QPushButton("キャンセル")
        self.buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.clicked.connect(self._submit)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

    def showEvent(self, event: QShowEvent) -> None:
        # A wrapped explanation needs its height for the dialog's width; a top-level layout
        # does not ask for it, so a long one was cut off.
        label = self.intro_label
        if label is not None:
            width = max(self.minimumWidth(), self.width()) - 40
            label.setMinimumHeight(label.heightForWidth(width))
            self.adjustSize()
        super().showEvent(event)

    def problem(self) -> str | None:
        """A Japanese message if the input is incomplete (override)."""
        return None

    def _submit(self) -> None:
        message = self.problem()
        if message is not None:
            self.show_error(message)
            return
        self.clear_error()
        self.submitted.emit()

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)


def confirm(
    parent: QWidget,
    title: str,
    text: str,
    on_yes: Callable[[], None],
    *,
    yes_text: str = "実行する",
    informative: str = "",
) -> QMessageBox:
    """Ask before a change; ``on_yes`` runs only if the user agrees. Non-blocking."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    yes = box.button(QMessageBox.StandardButton.Yes)
    yes.setText(yes_text)
    box.button(QMessageBox.StandardButton.No).setText("やめる")
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(_result: int) -> None:
        if box.clickedButton() is yes:
            on_yes()

    box.finished.connect(finished)
    box.open()
    return box
