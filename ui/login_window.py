"""The sign-in window: login ID and password, and for demo stores a list of demo accounts.

Sign-in derives a key (~0.6 s) so it runs on the worker through :class:`BackgroundRunner`;
the window only shows a busy bar meanwhile. Sign-in is a sequence of steps in a
``QStackedWidget``: today only the password step; the palm-vein step will be a second page
entered from :meth:`LoginWindow._after_password`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.models import DemoAccount, StoreHeader
from ui import style
from ui.background import BackgroundRunner, TaskContext
from ui.branding import ORGANIZATION, PRODUCT_NAME, window_title

if TYPE_CHECKING:
    from toda_desktop.composition import SignedIn

SignInFunc = Callable[[str, str], "SignedIn"]


class DemoAccountsPanel(QFrame):
    """Clearly marked list of a demo store's accounts; choosing one fills the form."""

    account_chosen = Signal(object)  # DemoAccount

    def __init__(self, accounts: tuple[DemoAccount, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demoPanel")
        self.setStyleSheet(style.DEMO_PANEL)
        self._accounts = accounts
        layout = QVBoxLayout(self)
        heading = QLabel("デモ用アカウント")
        heading.setObjectName("demoHeading")
        note = QLabel("架空のデータ専用です。行をクリックするとIDとパスワードが入力されます。")
        note.setWordWrap(True)
        self.table = QTableWidget(len(accounts), 3)
        self.table.setHorizontalHeaderLabels(["ログインID", "役割", "パスワード"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        for row, account in enumerate(accounts):
            for col, text in enumerate((account.login_id, account.role_label, account.password)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{account.display_name}（{account.role_label}）")
                self.table.setItem(row, col, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellClicked.connect(lambda row, _col: self.choose(row))
        self.table.cellActivated.connect(lambda row, _col: self.choose(row))
        layout.addWidget(heading)
        layout.addWidget(note)
        layout.addWidget(self.table)

    def choose(self, row: int) -> None:
        if 0 <= row < len(self._accounts):
            self.account_chosen.emit(self._accounts[row])


class LoginWindow(QWidget):
    """Top-level sign-in window; emits :attr:`signed_in` with the service's ``SignedIn``."""

    signed_in = Signal(object)  # SignedIn

    def __init__(
        self,
        header: StoreHeader,
        sign_in: SignInFunc,
        runner: BackgroundRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._sign_in = sign_in
        self._runner = runner
        self._busy = False
        self.setWindowTitle(window_title(header.kind_label))
        self.setMinimumSize(880, 520)

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        banner = style.store_kind_banner(header.store_kind, header.kind_label)
        if banner is not None:
            root.addWidget(banner)

        body = QHBoxLayout()
        body.setContentsMargins(40, 32, 40, 32)
        body.setSpacing(32)
        root.addLayout(body, 1)

        left = QVBoxLayout()
        title = QLabel(PRODUCT_NAME)
        title.setObjectName("productTitle")
        title.setStyleSheet(style.PRODUCT_TITLE)
        org = QLabel(ORGANIZATION)
        org.setStyleSheet(style.MUTED)
        left.addWidget(title)
        left.addWidget(org)
        left.addSpacing(24)

        self._steps = QStackedWidget()
        self._steps.addWidget(self._build_password_step())
        # The palm-vein verification step will be added here as the second page.
        left.addWidget(self._steps)
        left.addStretch(1)
        body.addLayout(left, 3)

        self.demo_panel: DemoAccountsPanel | None = None
        if header.demo_accounts:
            self.demo_panel = DemoAccountsPanel(header.demo_accounts)
            self.demo_panel.account_chosen.connect(self.fill_account)
            body.addWidget(self.demo_panel, 4)

        self.login_id_edit.setFocus()

    def _build_password_step(self) -> QWidget:
        page = QFrame()
        page.setObjectName("loginCard")
        page.setStyleSheet(style.CARD)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(24, 20, 24, 20)
        heading = QLabel("サインイン")
        heading.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(heading)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.login_id_edit = QLineEdit()
        self.login_id_edit.setMaxLength(64)
        self.login_id_edit.setAccessibleName("ログインID")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setMaxLength(128)
        self.password_edit.setAccessibleName("パスワード")
        form.addRow("ログインID", self.login_id_edit)
        form.addRow("パスワード", self.password_edit)
        layout.addLayout(form)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(style.ERROR_TEXT)
        self.error_label.setAccessibleName("エラー")
        self.error_label.hide()
        layout.addWidget(self.error_label)

        row = QHBoxLayout()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumWidth(160)
        self.busy_label = QLabel("確認しています…")
        self.busy_label.setStyleSheet(style.MUTED)
        self.busy_bar.hide()
        self.busy_label.hide()
        self.login_button = QPushButton("ログイン")
        self.login_button.setDefault(True)
        self.login_button.setMinimumWidth(120)
        row.addWidget(self.busy_bar)
        row.addWidget(self.busy_label)
        row.addStretch(1)
        row.addWidget(self.login_button)
        layout.addLayout(row)

        self.login_button.clicked.connect(self.submit)
        self.login_id_edit.returnPressed.connect(self.submit)
        self.password_edit.returnPressed.connect(self.submit)
        return page

    @property
    def busy(self) -> bool:
        return self._busy

    def fill_account(self, account: DemoAccount) -> None:
        self.login_id_edit.setText(account.login_id)
        self.password_edit.setText(account.password)
        self._clear_error()
        self.login_button.setFocus()

    def submit(self) -> None:
        """Validate the form and start sign-in on the worker thread."""
        if self._busy:
            return
        login_id = self.login_id_edit.text().strip()
        password = self.password_edit.text()
        if not login_id:
            self.show_error("ログインIDを入力してください。")
            self.login_id_edit.setFocus()
            return
        if not password:
            self.show_error("パスワードを入力してください。")
            self.password_edit.setFocus()
            return
        self._clear_error()
        self._set_busy(True)
        sign_in = self._sign_in

        def task(_ctx: TaskContext) -> SignedIn:
            return sign_in(login_id, password)

        op = self._runner.run(
            task,
            on_success=self._after_password,
            on_user_error=self._sign_in_failed,
            parent=self,
            progress_dialog=False,  # the inline busy bar is enough
        )
        # Whatever the outcome (also an unexpected error), the form becomes usable again.
        op.finished.connect(self._sign_in_ended)

    def _sign_in_ended(self) -> None:
        self._set_busy(False)

    def _after_password(self, signed: SignedIn) -> None:
        """Password accepted. The palm-vein step will be inserted here before signing in."""
        self.password_edit.clear()
        self.signed_in.emit(signed)

    def _sign_in_failed(self, message: str) -> None:
        self._set_busy(False)
        self.password_edit.clear()
        self.show_error(message)
        self.password_edit.setFocus()

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.login_id_edit, self.password_edit, self.login_button):
            widget.setEnabled(not busy)
        if self.demo_panel is not None:
            self.demo_panel.setEnabled(not busy)
        self.busy_bar.setVisible(busy)
        self.busy_label.setVisible(busy)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.password_edit.clear()
        super().closeEvent(event)
