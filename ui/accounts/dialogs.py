"""The dialogs of アカウント管理: a new account, a password reset, a role change and the palm
enrollment (with the live scanner view)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import style
from ui.accounts.model import RULES_TEXT, RoleLike
from ui.background import BackgroundOp, BackgroundRunner
from ui.dialogs import FormDialog
from ui.palm import PalmScanView, run_palm_operation

if TYPE_CHECKING:
    from toda_desktop.accounts.service import AccountSummary


class NewAccountDialog(FormDialog):
    def __init__(self, roles: Sequence[RoleLike], parent: QWidget | None = None) -> None:
        super().__init__(
            "アカウントの新規作成", "作成", parent,
            intro="作成したあと、本人がいるときに手のひら静脈を登録してください。\n"
            "児童生徒のデータの鍵は、その鍵を持つ職員が渡すまで使えません。鍵を持たない管理者が"
            "作成したときは、ご本人がサインインしてここで設定したパスワードを変更してから、"
            "鍵を持つ職員（事業全体総括職員など）が渡します。",
        )
        self.login_edit = QLineEdit()
        self.login_edit.setMaxLength(64)
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(64)
        self.role_combo = QComboBox()
        for role in roles:
            self.role_combo.addItem(role.label, role.key)
        self.password_edit = _password_edit()
        self.confirm_edit = _password_edit()
        self.form.addRow("ログインID", self.login_edit)
        self.form.addRow("氏名", self.name_edit)
        self.form.addRow("役割", self.role_combo)
        self.form.addRow("パスワード", self.password_edit)
        self.form.addRow("パスワード（確認）", self.confirm_edit)
        self.form.addRow("", _hint(RULES_TEXT))

    def problem(self) -> str | None:
        if not self.login_edit.text().strip():
            return "ログインIDを入力してください。"
        if not self.name_edit.text().strip():
            return "氏名を入力してください。"
        return _passwords_problem(self.password_edit, self.confirm_edit)


class PasswordDialog(FormDialog):
    def __init__(self, account: AccountSummary, parent: QWidget | None = None) -> None:
        super().__init__(
            "パスワードの再設定", "再設定", parent,
            intro=f"{account.display_name}（{account.login_id}）さんの新しいパスワードを"
            "入力してください。本人に安全な方法で伝えてください。",
        )
        self.password_edit = _password_edit()
        self.confirm_edit = _password_edit()
        self.form.addRow("新しいパスワード", self.password_edit)
        self.form.addRow("新しいパスワード（確認）", self.confirm_edit)
        self.form.addRow("", _hint(RULES_TEXT))

    def problem(self) -> str | None:
        return _passwords_problem(self.password_edit, self.confirm_edit)


class EnableDialog(PasswordDialog):
    """Enabling again: the old key slot was removed, so a new password is set (and the data
    keys are given again by a key holder)."""

    def __init__(self, account: AccountSummary, parent: QWidget | None = None) -> None:
        super().__init__(account, parent)
        self.setWindowTitle("アカウントの有効化")
        self.ok_button.setText("有効にする")
        if self.intro_label is not None:
            self.intro_label.setText(
                f"{account.display_name}（{account.login_id}）さんのアカウントを有効に戻します。"
                "無効にしたときに以前のパスワードは使えなくなったため、新しいパスワードを"
                "設定してください。本人に安全な方法で伝えてください。"
            )


class RoleDialog(FormDialog):
    def __init__(
        self, account: AccountSummary, roles: Sequence[RoleLike], parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "役割の変更", "変更", parent,
            intro=f"{account.display_name}（{account.login_id}）さんの役割を選んでください。\n"
            "新しい役割で見ないデータの鍵は、変更と同時に外れます。新しく見るデータの鍵は、"
            "その鍵を持つ職員が「データの鍵の付与待ち」から渡すまで使えません"
            "（あなたが持つ鍵は、渡せるときは変更と同時に渡します）。"
            "画面で使える機能は、次回のサインインから新しい役割のものになります。",
        )
        self.role_combo = QComboBox()
        for role in roles:
            self.role_combo.addItem(role.label, role.key)
        current = self.role_combo.findData(account.role)
        if current >= 0:
            self.role_combo.setCurrentIndex(current)
        self.form.addRow("役割", self.role_combo)


class EnrollDialog(QDialog):
    """Palm enrollment with the person at the scanner: picture, guidance, stages."""

    def __init__(
        self,
        account: AccountSummary,
        enroll: Callable[[Any, Any, Callable[[], bool]], None],
        runner: BackgroundRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._enroll = enroll
        self._runner = runner
        self.op: BackgroundOp[None] | None = None
        self.enrolled = False
        self.setWindowTitle("手のひら静脈の登録")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(680)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        who = QLabel(f"{account.display_name} さん（{account.login_id}・{account.role_label}）")
        who.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(who)
        if account.palm_enrolled:
            again = QLabel("既に登録があります。登録すると新しい手のひらに置き換わります。")
            again.setStyleSheet(style.MUTED)
            layout.addWidget(again)
        self.palm_view = PalmScanView()
        self.palm_view.show_idle(
            "本人にスキャナの前に来てもらい、「読み取りを始める」を押してください。",
            "案内に従って、手のひらを数回かざしてもらいます。",
        )
        layout.addWidget(self.palm_view)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("読み取りを始める")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("中止")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.close_button = QPushButton("閉じる")
        self.close_button.clicked.connect(self.reject)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

    def start(self) -> None:
        if self.op is not None:
            return
        enroll = self._enroll

        def task(on_guidance: Any, on_progress: Any, cancel: Callable[[], bool]) -> None:
            enroll(on_guidance, on_progress, cancel)

        self.op = run_palm_operation(
            self._runner, self.palm_view, task, parent=self, on_success=self._done
        )
        self.op.finished.connect(self._ended)
        self.start_button.hide()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.close_button.setEnabled(False)

    def cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()
            self.cancel_button.setEnabled(False)

    def reject(self) -> None:
        self.cancel()
        super().reject()

    def _done(self, _result: None) -> None:
        self.enrolled = True
        self.palm_view.show_success(
            "登録しました。", "登録できました", "次回のサインインから使えます。"
        )

    def _ended(self) -> None:
        self.op = None
        self.cancel_button.hide()
        self.close_button.setEnabled(True)
        if self.enrolled:
            self.close_button.setDefault(True)
            self.close_button.setFocus()
        else:
            self.start_button.setText("もう一度読み取る")
            self.start_button.show()


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(128)
    return edit


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(style.MUTED)
    return label


def _passwords_problem(password: QLineEdit, again: QLineEdit) -> str | None:
    if not password.text():
        return "パスワードを入力してください。"
    if password.text() != again.text():
        return "確認のために入力したパスワードが一致しません。"
    return None
