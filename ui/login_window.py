"""The sign-in window: login ID and password, then the palm vein; for demo stores a list
of demo accounts.

Sign-in is two pages of a ``QStackedWidget``. The password step derives a key (~0.6 s) and
the palm step waits for the scanner, so both run on the worker through
:class:`BackgroundRunner`. The palm page shows who is signing in, a picture of the hand
placement that follows the device's guidance, the Japanese prompt, 中止 and 戻る; a first
sign-in of an administrator without a palm enrolls it in stages; a one-off recovery
sign-in is offered when the project lead has granted one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kernel.progress import CancelFlag
from toda_desktop.models import DemoAccount, StoreHeader
from ui import style
from ui.background import BackgroundOp, BackgroundRunner, TaskContext
from ui.branding import ORGANIZATION, PRODUCT_NAME, window_title
from ui.palm import PalmScanView, run_palm_operation

if TYPE_CHECKING:
    from toda_desktop.composition import PendingSignIn, SignedIn

StartSignIn = Callable[[str, str], "PendingSignIn"]
Callback = Callable[[Any], None]

RECOVERY_BUTTON = "回復サインイン（手のひら静脈なし・1回限り）"
RECOVERY_EXPLANATION = (
    "スキャナの故障などのため、事業全体総括職員が回復キーで許可した場合に限り、"
    "手のひら静脈なしでサインインできます。許可は1回限り・期限付きで、監査ログに記録されます。"
)
NOT_ENROLLED_TEXT = (
    "このアカウントには手のひら静脈が登録されていません。"
    "管理者（事業全体総括職員またはデジタル戦略室）に登録を依頼してください。"
)


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

    PASSWORD_PAGE, PALM_PAGE = 0, 1

    def __init__(
        self,
        header: StoreHeader,
        start_sign_in: StartSignIn,
        runner: BackgroundRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._start_sign_in = start_sign_in
        self._runner = runner
        self._busy = False
        self._pending: PendingSignIn | None = None
        self._palm_mode = "verify"  # or "enroll" (first sign-in of an administrator)
        self.palm_op: BackgroundOp[SignedIn] | None = None
        self.setWindowTitle(window_title(header.kind_label))
        self.setMinimumSize(880, 600)
        self.resize(960, 640)

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        banner = style.store_kind_banner(header.store_kind, header.kind_label)
        if banner is not None:
            root.addWidget(banner)

        body = QHBoxLayout()
        body.setContentsMargins(40, 28, 40, 28)
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
        left.addSpacing(20)

        self.steps = QStackedWidget()
        self.steps.addWidget(self._build_password_step())
        self.steps.addWidget(self._build_palm_step())
        left.addWidget(self.steps)
        left.addStretch(1)
        self.show_step(self.PASSWORD_PAGE)
        body.addLayout(left, 3)

        self.demo_panel: DemoAccountsPanel | None = None
        if header.demo_accounts:
            self.demo_panel = DemoAccountsPanel(header.demo_accounts)
            self.demo_panel.account_chosen.connect(self.fill_account)
            body.addWidget(self.demo_panel, 4)

        self.login_id_edit.setFocus()

    # -- building --------------------------------------------------------------------------

    def _build_password_step(self) -> QWidget:
        page = QFrame()
        page.setObjectName("loginCard")
        page.setStyleSheet(style.CARD)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(24, 20, 24, 20)
        heading = QLabel("サインイン")
        heading.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(heading)

        self.notice_label = QLabel()
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet(style.NOTICE_TEXT)
        self.notice_label.setAccessibleName("お知らせ")
        self.notice_label.hide()
        layout.addWidget(self.notice_label)

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
        self.login_button = QPushButton("サインイン")
        self.login_button.setDefault(True)
        self.login_button.setMinimumWidth(120)
        row.addWidget(self.busy_bar)
        row.addWidget(self.busy_label)
        row.addStretch(1)
        row.addWidget(self.login_button)
        layout.addLayout(row)
        hint = QLabel("パスワードの確認のあと、手のひら静脈で本人確認を行います。")
        hint.setWordWrap(True)
        hint.setStyleSheet(style.MUTED)
        layout.addWidget(hint)

        self.login_button.clicked.connect(self.submit)
        self.login_id_edit.returnPressed.connect(self.submit)
        self.password_edit.returnPressed.connect(self.submit)
        return page

    def _build_palm_step(self) -> QWidget:
        page = QFrame()
        page.setObjectName("loginCard")
        page.setStyleSheet(style.CARD)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        head = QHBoxLayout()
        self.palm_heading = QLabel("手のひら静脈認証")
        self.palm_heading.setStyleSheet(style.SECTION_TITLE)
        self.user_label = QLabel("")
        self.user_label.setStyleSheet("font-size: 11pt;")
        self.user_label.setAccessibleName("サインインする利用者")
        head.addWidget(self.palm_heading)
        head.addSpacing(16)
        head.addWidget(self.user_label)
        head.addStretch(1)
        layout.addLayout(head)

        self.palm_view = PalmScanView()
        layout.addWidget(self.palm_view)

        buttons = QHBoxLayout()
        self.back_button = QPushButton("戻る")
        self.back_button.setToolTip("パスワードの入力に戻ります")
        self.back_button.clicked.connect(self.back_to_password)
        self.retry_button = QPushButton("もう一度読み取る")
        self.retry_button.setMinimumWidth(140)
        self.retry_button.clicked.connect(self.start_palm)
        self.palm_cancel_button = QPushButton("中止")
        self.palm_cancel_button.setMinimumWidth(100)
        self.palm_cancel_button.clicked.connect(self.cancel_palm)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.palm_cancel_button)
        layout.addLayout(buttons)

        self.recovery_box = QFrame()
        self.recovery_box.setObjectName("recoveryBox")
        self.recovery_box.setStyleSheet(
            "QFrame#recoveryBox { background: #f6f7f9; border: 1px solid #d0d7de;"
            " border-radius: 4px; }"
        )
        recovery = QVBoxLayout(self.recovery_box)
        recovery.setContentsMargins(12, 8, 12, 8)
        self.recovery_label = QLabel(RECOVERY_EXPLANATION)
        self.recovery_label.setWordWrap(True)
        self.recovery_button = QPushButton(RECOVERY_BUTTON)
        self.recovery_button.clicked.connect(self.use_recovery)
        recovery.addWidget(self.recovery_label)
        recovery.addWidget(self.recovery_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.recovery_box.hide()
        layout.addWidget(self.recovery_box)
        return page

    def show_step(self, index: int) -> None:
        """Show one step; the stack takes that page's height (not the tallest page's)."""
        for i in range(self.steps.count()):
            page = self.steps.widget(i)
            assert page is not None
            vertical = (
                QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            )
            page.setSizePolicy(QSizePolicy.Policy.Preferred, vertical)
        self.steps.setCurrentIndex(index)
        self.steps.updateGeometry()

    # -- the password step -----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def pending(self) -> PendingSignIn | None:
        """The password-accepted state while the palm step is open."""
        return self._pending

    def fill_account(self, account: DemoAccount) -> None:
        self.login_id_edit.setText(account.login_id)
        self.password_edit.setText(account.password)
        self._clear_error()
        self.login_button.setFocus()

    def submit(self) -> None:
        """Validate the form and check ID and password on the worker thread."""
        if self._busy or self.steps.currentIndex() != self.PASSWORD_PAGE:
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
        self.notice_label.hide()
        self._set_busy(True)
        start = self._start_sign_in

        def task(_ctx: TaskContext) -> PendingSignIn:
            return start(login_id, password)

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

    def _after_password(self, pending: PendingSignIn) -> None:
        """Password accepted: the palm step (verify, or a first enrollment)."""
        self.password_edit.clear()
        self._pending = pending
        self.user_label.setText(f"{pending.display_name} さん（{pending.role_label}）")
        self.recovery_box.setVisible(pending.recovery_available)
        self.recovery_button.setEnabled(True)
        if self.demo_panel is not None:
            self.demo_panel.hide()
        self.show_step(self.PALM_PAGE)
        if not pending.needs_enrollment:
            self._palm_mode = "verify"
            self.palm_heading.setText("手のひら静脈認証")
            self.retry_button.setText("もう一度読み取る")
            self.start_palm()
        elif pending.may_self_enroll:
            self._palm_mode = "enroll"
            self.palm_heading.setText("手のひら静脈の登録（初回）")
            self.retry_button.setText("登録を始める")
            self.palm_view.show_idle(
                "初めてのサインインです。手のひら静脈を登録します。",
                "「登録を始める」を押し、案内に従ってスキャナに手のひらを数回かざしてください。"
                "登録した手のひらは、次回からのサインインと画面ロックの解除に使います。",
            )
            self._set_palm_running(False)
            self.retry_button.setFocus()
        else:
            self._palm_mode = "none"
            self.palm_heading.setText("手のひら静脈認証")
            self.palm_view.show_problem(NOT_ENROLLED_TEXT)
            self._set_palm_running(False)
            self.retry_button.hide()

    def _sign_in_failed(self, message: str) -> None:
        self._set_busy(False)
        self.password_edit.clear()
        self.show_error(message)
        self.password_edit.setFocus()

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def show_notice(self, message: str) -> None:
        """Information on the password page (e.g. why the last session ended)."""
        self.notice_label.setText(message)
        self.notice_label.setVisible(bool(message))

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

    # -- the palm step ---------------------------------------------------------------------

    def start_palm(self) -> None:
        """Verify (or enroll) the palm on the worker; the page follows the guidance."""
        pending = self._pending
        if pending is None or self.palm_op is not None or self._palm_mode == "none":
            return
        enroll = self._palm_mode == "enroll"

        def task(on_guidance: Callback, on_progress: Callback, cancel: CancelFlag) -> SignedIn:
            if enroll:
                return pending.enroll_own_palm(on_guidance, on_progress, cancel)
            return pending.verify_palm(on_guidance, cancel)

        op = run_palm_operation(
            self._runner,
            self.palm_view,
            task,
            parent=self,
            on_success=self._palm_accepted,
            on_failure=self._palm_failed,
        )
        self.palm_op = op
        self._set_palm_running(True)
        op.finished.connect(self._palm_ended)

    def cancel_palm(self) -> None:
        """中止: stop waiting for the hand (the operation ends at its next check)."""
        if self.palm_op is not None:
            self.palm_op.cancel()
            self.palm_cancel_button.setEnabled(False)

    def _palm_accepted(self, signed: SignedIn) -> None:
        self._pending = None
        if self._palm_mode == "enroll":
            self.palm_view.show_success("手のひら静脈を登録しました。", "登録できました")
        else:
            self.palm_view.show_success("本人確認ができました。")
        self.signed_in.emit(signed)

    def _palm_failed(self, _message: str) -> None:
        if self._palm_mode == "verify":
            self.retry_button.setText("もう一度読み取る")
        else:
            self.retry_button.setText("登録をやり直す")

    def _palm_ended(self) -> None:
        self.palm_op = None
        self._set_palm_running(False)

    def _set_palm_running(self, running: bool) -> None:
        self.palm_cancel_button.setVisible(running)
        self.palm_cancel_button.setEnabled(running)
        self.retry_button.setVisible(not running and self._palm_mode != "none")
        self.recovery_button.setEnabled(not running)
        if not running and self.retry_button.isVisible():
            self.retry_button.setFocus()

    def use_recovery(self) -> None:
        """The one-off password-only sign-in the project lead granted with the recovery key."""
        pending = self._pending
        if pending is None or self.palm_op is not None:
            return
        self.recovery_button.setEnabled(False)
        self.retry_button.setEnabled(False)

        def task(_ctx: TaskContext) -> SignedIn:
            return pending.use_recovery_grant()

        def failed(message: str) -> None:
            self.palm_view.show_problem(message)

        def ended() -> None:
            self.retry_button.setEnabled(True)
            self.recovery_button.setEnabled(self._pending is not None)

        op = self._runner.run(
            task,
            on_success=self._palm_accepted,
            on_user_error=failed,
            parent=self,
            label="回復サインインを確認しています…",
        )
        op.finished.connect(ended)

    def back_to_password(self) -> None:
        """戻る: give up this sign-in (the store is locked again) and show the password form."""
        if self.palm_op is not None:
            self.palm_op.cancel()
        pending = self.take_pending()
        if pending is not None:
            self._runner.run(
                lambda _ctx: pending.cancel(),
                on_success=lambda _result: None,
                parent=self,
                progress_dialog=False,
            )
        self.show_step(self.PASSWORD_PAGE)
        self.recovery_box.hide()
        if self.demo_panel is not None:
            self.demo_panel.show()
        self.password_edit.clear()
        self.password_edit.setFocus()

    def take_pending(self) -> PendingSignIn | None:
        """Hand over an unfinished sign-in (to cancel it); the window forgets it."""
        pending, self._pending = self._pending, None
        return pending

    def closeEvent(self, event: QCloseEvent) -> None:
        self.password_edit.clear()
        if self.palm_op is not None:
            self.palm_op.cancel()
        super().closeEvent(event)
