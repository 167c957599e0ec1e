"""パスワードの変更: every signed-in user changes their own password (the current one needed).

Opened from the ファイル menu of the main window. The change renews the account's key pair
under the new password and keeps its data keys; after it, a key holder may give keys to an
account whose first password an administrator had chosen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ui.accounts.dialogs import _password_edit, _passwords_problem
from ui.accounts.model import RULES_TEXT
from ui.background import BackgroundRunner, alive
from ui.dialogs import FormDialog


class OwnPasswordDialog(FormDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "パスワードの変更", "変更", parent,
            intro="現在のパスワードと、新しいパスワードを入力してください。"
            "管理者が設定したパスワードは、最初のサインインのあとに必ず変更してください。\n"
            f"新しいパスワード: {RULES_TEXT}",
        )
        self.current_edit = _password_edit()
        self.password_edit = _password_edit()
        self.confirm_edit = _password_edit()
        self.form.addRow("現在のパスワード", self.current_edit)
        self.form.addRow("新しいパスワード", self.password_edit)
        self.form.addRow("新しいパスワード（確認）", self.confirm_edit)
        self.changed = False

    def problem(self) -> str | None:
        if not self.current_edit.text():
            return "現在のパスワードを入力してください。"
        return _passwords_problem(self.password_edit, self.confirm_edit)


def open_own_password_dialog(
    parent: QWidget, change: Callable[[str, str], None], runner: BackgroundRunner
) -> OwnPasswordDialog:
    """Open the dialog; ``change(current, new)`` runs on the worker (a refusal stays inline)."""
    dialog = OwnPasswordDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def submit() -> None:
        current, new = dialog.current_edit.text(), dialog.password_edit.text()
        dialog.set_busy(True)

        def done(_result: None) -> None:
            if alive(dialog):
                dialog.changed = True
                dialog.accept()

        def refused(message: str) -> None:
            if alive(dialog):
                dialog.show_error(message)

        def ended() -> None:
            if alive(dialog):
                dialog.set_busy(False)

        op = runner.run(lambda _ctx: change(current, new), on_success=done, parent=dialog,
                        label="パスワードを変更しています…", on_user_error=refused, writes=True)
        op.finished.connect(ended)

    dialog.submitted.connect(submit)
    dialog.open()
    return dialog
