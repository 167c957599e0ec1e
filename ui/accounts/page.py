"""アカウント管理 (administrators only): the staff accounts and what can be done to them.

Create, disable / enable (with a new password), reset a password, change the role, enroll the
palm (the person is at the scanner), revoke the palm, unlock after failed sign-ins, and give
the data keys to the accounts waiting for them (a key holder). Every change is a call of
``AccountAdminService`` on the worker; a refusal (permission, password rules, a duplicate palm…)
comes back as the service's Japanese message and is shown where the user acted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import style
from ui.background import BackgroundRunner, alive
from ui.dialogs import FormDialog, confirm
from ui.page_header import PageHeader, StatusLine
from ui.page_task import PageTask
from ui.table_model import make_table

if TYPE_CHECKING:
    from toda_desktop.accounts.service import (
        AccountAdminService,
        AccountSummary,
        DueRotations,
        PendingGrant,
    )
from ui.accounts.dialogs import (
    EnableDialog,
    EnrollDialog,
    NewAccountDialog,
    PasswordDialog,
    RoleDialog,
)
from ui.accounts.model import AccountsModel, RoleLike
from ui.accounts.pending import PendingGrantsPanel


class AccountsPage(QWidget):
    """The アカウント管理 page. Loads on first activation."""

    def __init__(
        self,
        service: AccountAdminService,
        roles: Sequence[RoleLike],
        runner: BackgroundRunner,
        own_login: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._roles = tuple(roles)
        self._runner = runner
        self._own_login = own_login
        self._loaded = False
        self._select_after_reload: str | None = None
        self.dialog: QDialog | None = None
        self.confirmation: QMessageBox | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title_bar = PageHeader("アカウント管理")
        self.refresh_button = title_bar.add_refresh(self.reload)
        layout.addLayout(title_bar)
        note = QLabel(
            "職員のアカウントを管理します。変更はすべて監査ログに記録されます。"
            "パスワードや手のひら静脈の情報が画面やログに表示されることはありません。"
        )
        note.setWordWrap(True)
        note.setStyleSheet(style.MUTED)
        layout.addWidget(note)

        actions = QHBoxLayout()
        actions.setSpacing(6)
        self.new_button = QPushButton("新規作成…")
        self.toggle_button = QPushButton("無効化")
        self.password_button = QPushButton("パスワード再設定…")
        self.role_button = QPushButton("役割変更…")
        self.enroll_button = QPushButton("手のひら静脈を登録…")
        self.revoke_button = QPushButton("登録取消")
        self.unlock_button = QPushButton("ロック解除")
        self.new_button.clicked.connect(self.open_new_account)
        self.toggle_button.clicked.connect(self.toggle_enabled)
        self.password_button.clicked.connect(self.open_password_reset)
        self.role_button.clicked.connect(self.open_role_change)
        self.enroll_button.clicked.connect(self.open_enrollment)
        self.revoke_button.clicked.connect(self.revoke_palm)
        self.unlock_button.clicked.connect(self.unlock)
        self.row_buttons = (
            self.toggle_button, self.password_button, self.role_button,
            self.enroll_button, self.revoke_button, self.unlock_button,
        )
        actions.addWidget(self.new_button)
        actions.addSpacing(12)
        for button in self.row_buttons:
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)

        self.status_label = StatusLine()
        self.load_task = PageTask(self, runner, "アカウントの一覧を読み込んでいます…",
                                  busy=[self.refresh_button])
        self.change_task = PageTask(self, runner, "変更しています…", writes=True)
        for task in (self.load_task, self.change_task):
            task.started.connect(self._update_buttons)
            task.ended.connect(self._update_buttons)
        layout.addWidget(self.status_label)

        self.model = AccountsModel(self)
        self.table, self.proxy = make_table(self.model, "アカウントの一覧", self, row_height=28)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(96)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _index: self.open_role_change())
        layout.addWidget(self.table, 1)
        self.pending = PendingGrantsPanel(self)
        self.pending.grant_button.clicked.connect(self.complete_grants)
        self.pending.rotate_button.clicked.connect(self.complete_rotations)
        layout.addWidget(self.pending)
        self._update_buttons()

    # -- loading ---------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self.load_task.running

    @property
    def _working(self) -> bool:
        return self.change_task.running

    def activated(self) -> None:
        if not self._loaded:
            self.reload()

    def reload(self) -> None:
        service = self._service

        def load(_ctx: object) -> tuple[list[AccountSummary], list[PendingGrant], DueRotations]:
            return service.list_accounts(), service.pending_grants(), service.due_rotations()

        self.load_task.run(load, self._show)

    def _show(
        self, loaded: tuple[list[AccountSummary], list[PendingGrant], DueRotations]
    ) -> None:
        accounts, pending, rotations = loaded
        self.pending.set_items(pending, rotations)
        self._show_accounts(accounts)

    def _show_accounts(self, accounts: list[AccountSummary]) -> None:
        selected = self.selected()
        target = self._select_after_reload or (selected.login_id if selected else None)
        self._select_after_reload = None
        self.model.set_accounts(accounts)
        self._loaded = True
        if target is not None:
            self.select(target)
        self._update_buttons()

    @property
    def loaded(self) -> bool:
        return self._loaded

    # -- selection -------------------------------------------------------------------------

    def selected(self) -> AccountSummary | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        account: AccountSummary = self.model.accounts[self.proxy.mapToSource(rows[0]).row()]
        return account

    def select(self, login_id: str) -> bool:
        for row, account in enumerate(self.model.accounts):
            if account.login_id == login_id:
                self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())
                return True
        return False

    def _update_buttons(self) -> None:
        account = self.selected()
        for button in self.row_buttons:
            button.setEnabled(account is not None and not self._working)
        self.new_button.setEnabled(not self._working)
        self.pending.update_buttons(self._working)
        if account is not None:
            self.toggle_button.setText("無効化" if account.active else "有効化")
            self.revoke_button.setEnabled(account.palm_enrolled and not self._working)
            self.unlock_button.setEnabled(account.locked and not self._working)
            own = account.login_id == self._own_login
            self.role_button.setEnabled(not own and not self._working)
            if own and account.active:
                self.toggle_button.setEnabled(False)

    # -- running a change ------------------------------------------------------------------

    def show_status(self, message: str, *, error: bool = False) -> None:
        self.status_label.show_message(message, error=error)

    def _change(
        self,
        call: Callable[[], object],
        done: str | Callable[[Any], str],
        *,
        label: str,
        dialog: FormDialog | None = None,
    ) -> None:
        """Run one service change on the worker, then say so and reload the list. ``done``
        is the message, or makes it from the call's result."""
        if self.change_task.running:
            return
        if dialog is not None:
            dialog.set_busy(True)

        def succeeded(result: object) -> None:
            if alive(dialog):
                dialog.accept()
            self.show_status(done if isinstance(done, str) else done(result))
            self.reload()

        def refused(message: str) -> None:
            if alive(dialog):
                dialog.show_error(message)
            else:
                self.show_status(message, error=True)

        def ended() -> None:
            if alive(dialog):
                dialog.set_busy(False)

        self.change_task.run(lambda _ctx: call(), succeeded, label=label,
                             on_user_error=refused, on_ended=ended)

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result, d=dialog: self._dialog_closed(d))
        dialog.open()
        return dialog

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    # -- the actions -----------------------------------------------------------------------

    def open_new_account(self) -> NewAccountDialog:
        dialog = NewAccountDialog(self._roles, self)
        service = self._service

        def submit() -> None:
            login = dialog.login_edit.text().strip()
            name = dialog.name_edit.text().strip()
            role = str(dialog.role_combo.currentData())
            password = dialog.password_edit.text()
            self._select_after_reload = login
            self._change(
                lambda: service.create(login, name, role, password),
                lambda waits: created_message(login, waits),
                label="アカウントを作成しています…",
                dialog=dialog,
            )

        dialog.submitted.connect(submit)
        self._open(dialog)
        return dialog

    def toggle_enabled(self) -> None:
        account = self.selected()
        if account is None:
            return
        service = self._service
        login = account.login_id
        if account.active:
            self.confirmation = confirm(
                self,
                "アカウントの無効化",
                f"{account.display_name}（{login}）さんのアカウントを無効にしますか？",
                lambda: self._change(
                    lambda: service.set_enabled(login, False),
                    f"「{login}」を無効にしました。",
                    label="変更しています…",
                ),
                yes_text="無効にする",
                informative="無効にしたアカウントではサインインできず、データの鍵も外れます。"
                "有効に戻すときは新しいパスワードを設定し、鍵を渡し直します。",
            )
        else:
            self.open_enable()

    def open_enable(self) -> EnableDialog | None:
        account = self.selected()
        if account is None or account.active:
            return None
        dialog = EnableDialog(account, self)
        service, login = self._service, account.login_id

        def submit() -> None:
            password = dialog.password_edit.text()
            self._change(
                lambda: service.set_enabled(login, True, password),
                f"「{login}」を有効にしました。データの鍵は、鍵を持つ職員が渡すと使えます。",
                label="変更しています…",
                dialog=dialog,
            )

        dialog.submitted.connect(submit)
        self._open(dialog)
        return dialog

    def complete_grants(self) -> None:
        entry = self.pending.selected()
        if entry is None:
            return
        service, login = self._service, entry.login_id
        labels = "、".join(entry.missing_labels)
        self.confirmation = confirm(
            self,
            "データの鍵を渡す",
            f"{entry.display_name}（{login}・{entry.role_label}）さんに、"
            f"次のデータの鍵を渡しますか？\n{labels}",
            lambda: self._change(
                lambda: service.complete_grants(login),
                f"「{login}」にデータの鍵を渡しました。",
                label="鍵を渡しています…",
            ),
            yes_text="鍵を渡す",
            informative="ご本人であることを確かめてから渡してください。渡したことは監査ログに"
            "記録されます。",
        )

    def complete_rotations(self) -> None:
        service = self._service

        def done(renewed: tuple[str, ...]) -> str:
            if not renewed:
                return "更新が必要なデータの鍵はありませんでした。"
            return f"データの鍵を更新しました: {'、'.join(renewed)}。"

        self._change(service.complete_rotations, done, label="鍵を更新しています…")

    def open_password_reset(self) -> PasswordDialog | None:
        account = self.selected()
        if account is None:
            return None
        dialog = PasswordDialog(account, self)
        service, login = self._service, account.login_id

        def submit() -> None:
            password = dialog.password_edit.text()
            self._change(
                lambda: service.reset_password(login, password),
                f"「{login}」のパスワードを再設定しました。",
                label="パスワードを再設定しています…",
                dialog=dialog,
            )

        dialog.submitted.connect(submit)
        self._open(dialog)
        return dialog

    def open_role_change(self) -> RoleDialog | None:
        account = self.selected()
        if account is None or account.login_id == self._own_login:
            return None
        dialog = RoleDialog(account, self._roles, self)
        service, login = self._service, account.login_id

        def submit() -> None:
            role = str(dialog.role_combo.currentData())
            label = dialog.role_combo.currentText()
            self._change(
                lambda: service.change_role(login, role),
                f"「{login}」の役割を「{label}」に変更しました。",
                label="役割を変更しています…",
                dialog=dialog,
            )

        dialog.submitted.connect(submit)
        self._open(dialog)
        return dialog

    def open_enrollment(self) -> EnrollDialog | None:
        account = self.selected()
        if account is None:
            return None
        service, login = self._service, account.login_id

        def enroll(on_guidance: Any, on_progress: Any, cancel: Callable[[], bool]) -> None:
            service.enroll_palm(login, on_guidance, on_progress, cancel)

        dialog = EnrollDialog(account, enroll, self._runner, self)

        def closed() -> None:
            if dialog.enrolled:
                self.show_status(f"「{login}」の手のひら静脈を登録しました。")
                self.reload()

        dialog.finished.connect(lambda _result: closed())
        self._open(dialog)
        return dialog

    def revoke_palm(self) -> None:
        account = self.selected()
        if account is None:
            return
        service, login = self._service, account.login_id
        self.confirmation = confirm(
            self,
            "手のひら静脈の登録取消",
            f"{account.display_name}（{login}）さんの手のひら静脈の登録を取り消しますか？",
            lambda: self._change(
                lambda: service.revoke_palm(login),
                f"「{login}」の手のひら静脈の登録を取り消しました。",
                label="登録を取り消しています…",
            ),
            yes_text="取り消す",
            informative="取り消すと、再び登録するまでこのアカウントではサインインできません。",
        )

    def unlock(self) -> None:
        account = self.selected()
        if account is None:
            return
        service, login = self._service, account.login_id

        def call() -> bool:
            return service.unlock(login)

        self._change(call, f"「{login}」のロックを解除しました。", label="ロックを解除しています…")


def created_message(login: str, waits: PendingGrant | None) -> str:
    """What happened, and what the new account still waits for before it opens any data."""
    text = f"アカウント「{login}」を作成しました。続けて手のひら静脈を登録してください。"
    if waits is None:
        return text
    if waits.waiting_for_owner:
        return text + ("データの鍵は、ご本人がサインインして「ファイル」→「パスワードの変更…」で"
                       "ご自分のパスワードに変えたあと、鍵を持つ職員が下の一覧から渡します。")
    return text + "データの鍵は、鍵を持つ職員が下の一覧から渡します。"
