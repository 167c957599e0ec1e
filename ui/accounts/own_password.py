"""パスワードの変更: every signed-in user changes their own password (current one and palm).

Opened from the ファイル menu of the main window. After the passwords are typed, 「変更」
starts the palm reading (the same picture and prompts as at sign-in, on the worker); the
service then checks the current password and renews the account's key pair under the new
one, keeping its data keys. A wrong palm or password counts as at sign-in and is shown here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kernel.progress import CancelFlag
from ui.accounts.dialogs import _password_edit, _passwords_problem
from ui.accounts.model import RULES_TEXT
from ui.background import BackgroundOp, BackgroundRunner, alive
from ui.dialogs import FormDialog
from ui.palm import PalmScanView, run_palm_operation

# change(current, new, on_guidance, cancel), run on the worker
ChangeOwnPassword = Callable[[str, str, Callable[[Any], None], CancelFlag], None]

PALM_IDLE = "「変更」を押したあと、スキャナに手のひらをかざしてください。"
PALM_DETAIL = "本人確認のため、サインインと同じく手のひら静脈も確認します。"


class OwnPasswordDialog(FormDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "パスワードの変更", "変更", parent,
            intro="現在のパスワードと、新しいパスワードを入力してください。"
            "管理者が設定したパスワードは、最初のサインインのあとに必ず変更してください。\n"
            f"新しいパスワード: {RULES_TEXT}",
        )
        self.setMinimumWidth(640)
        self.current_edit = _password_edit()
        self.password_edit = _password_edit()
        self.confirm_edit = _password_edit()
        self.form.addRow("現在のパスワード", self.current_edit)
        self.form.addRow("新しいパスワード", self.password_edit)
        self.form.addRow("新しいパスワード（確認）", self.confirm_edit)
        self.palm_view = PalmScanView()
        self.palm_view.illustration.setFixedSize(160, 160)
        self.palm_view.show_idle(PALM_IDLE, PALM_DETAIL)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(self.error_label), self.palm_view)
        self.changed = False
        self.op: BackgroundOp[None] | None = None

    def problem(self) -> str | None:
        if not self.current_edit.text():
            return "現在のパスワードを入力してください。"
        return _passwords_problem(self.password_edit, self.confirm_edit)

    def set_busy(self, busy: bool) -> None:
        """While the palm is read, 「キャンセル」 stops the reading (not the dialog)."""
        self.ok_button.setEnabled(not busy)
        for edit in (self.current_edit, self.password_edit, self.confirm_edit):
            edit.setEnabled(not busy)
        self.cancel_button.setText("中止" if busy else "キャンセル")

    def reject(self) -> None:
        if self.op is not None:
            self.op.cancel()  # the reading stops; the dialog stays for another try
            return
        super().reject()


def open_own_password_dialog(
    parent: QWidget, change: ChangeOwnPassword, runner: BackgroundRunner
) -> OwnPasswordDialog:
    """Open the dialog; ``change`` runs on the worker (a refusal stays inline)."""
    dialog = OwnPasswordDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def submit() -> None:
        current, new = dialog.current_edit.text(), dialog.password_edit.text()
        dialog.set_busy(True)

        def task(on_guidance: Callable[[Any], None], _progress: object,
                 cancel: CancelFlag) -> None:
            change(current, new, on_guidance, cancel)

        def done(_result: None) -> None:
            if alive(dialog):
                dialog.changed = True
                dialog.palm_view.show_success("パスワードを変更しました。", "確認できました")
                dialog.accept()

        def refused(message: str) -> None:
            if alive(dialog):  # said once, on the error line; the picture waits again
                dialog.palm_view.show_idle(PALM_IDLE, PALM_DETAIL)
                dialog.show_error(message)

        def ended() -> None:
            if alive(dialog):
                dialog.op = None
                dialog.set_busy(False)

        dialog.op = run_palm_operation(runner, dialog.palm_view, task, parent=dialog,
                                       on_success=done, on_failure=refused, writes=True)
        dialog.op.finished.connect(ended)

    dialog.submitted.connect(submit)
    dialog.open()
    return dialog
