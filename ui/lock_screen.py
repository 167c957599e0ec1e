"""The lock screen shown after idle time, and the guard that decides when to show it.

:class:`SessionGuard` reports keyboard and mouse activity of the whole application to the
session clock (``SignedIn.idle_lock.touch``) and asks the session for its state on a timer; the
rule itself (idle limit, maximum length) lives in ``toda_desktop.idle_lock``.
:class:`LockScreen` replaces the main window's content: it shows who is signed in, why the
screen is locked and the palm picture; unlocking needs the palm again, on the worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kernel.progress import CancelFlag
from toda_desktop.idle_lock import LockState
from toda_desktop.models import SignedInUser, StoreHeader
from ui import style
from ui.background import BackgroundOp, BackgroundRunner
from ui.palm import PalmScanView, run_palm_operation

if TYPE_CHECKING:
    from toda_desktop.composition import SignedIn

Resume = Callable[[Callable[[Any], None], CancelFlag], None]

SESSION_CHECK_MS = 5000
TOUCH_EVERY_S = 1.0  # mouse moves come by the hundred: report activity at most once a second
ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)
LOCK_REASON = "一定時間操作がなかったためロックしました。"


class SessionGuard(QObject):
    """Watches activity and the session state while someone is signed in."""

    lock_needed = Signal()
    expired = Signal()

    def __init__(
        self,
        signed: SignedIn,
        activity_source: QObject | None,
        interval_ms: int = SESSION_CHECK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._signed = signed
        self._source = activity_source
        self._last_touch = 0.0
        self._locked = False
        self._stopped = False
        if activity_source is not None:
            activity_source.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY_EVENTS and not self._locked:
            now = time.monotonic()
            if now - self._last_touch >= TOUCH_EVERY_S:
                self._last_touch = now
                self._signed.idle_lock.touch()
        return False

    def check(self) -> LockState | None:
        """Ask the session for its state; emits ``lock_needed`` once, or ``expired``."""
        if self._stopped:
            return None
        state = self._signed.lock_state()
        if state is LockState.EXPIRED:
            self.stop()
            self.expired.emit()
        elif state is LockState.LOCKED and not self._locked:
            self._locked = True
            self.lock_needed.emit()
        return state

    def unlocked(self) -> None:
        self._locked = False
        self._last_touch = 0.0

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.timer.stop()
        if self._source is not None:
            self._source.removeEventFilter(self)


class LockScreen(QWidget):
    """Shown instead of every page while the session is locked."""

    unlocked = Signal()
    sign_out_requested = Signal()

    def __init__(
        self,
        session: SignedInUser,
        header: StoreHeader,
        resume: Resume,
        runner: BackgroundRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._resume = resume
        self._runner = runner
        self.op: BackgroundOp[None] | None = None
        self.setObjectName("lockScreen")
        self.setAutoFillBackground(True)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        banner = style.store_kind_banner(header.store_kind, header.kind_label)
        if banner is not None:
            outer.addWidget(banner)
        outer.addStretch(1)

        card = QFrame()
        card.setObjectName("loginCard")
        card.setStyleSheet(style.CARD)
        card.setMaximumWidth(760)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(28, 22, 28, 22)
        layout.setSpacing(10)
        title = QLabel("画面をロックしました")
        title.setStyleSheet(style.PAGE_TITLE)
        self.user_label = QLabel(f"{session.display_name} さん（{session.role_label}）")
        self.user_label.setStyleSheet("font-size: 12pt;")
        self.reason_label = QLabel(LOCK_REASON)
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet("font-size: 11pt;")
        layout.addWidget(title)
        layout.addWidget(self.user_label)
        layout.addWidget(self.reason_label)
        layout.addSpacing(6)

        self.palm_view = PalmScanView()
        self.palm_view.show_idle(
            "手のひらをかざしてロックを解除してください。",
            "画面を再び表示するには、手のひら静脈による本人確認が必要です。\n"
            "席を離れる場合は、サインアウトしてください。",
        )
        layout.addWidget(self.palm_view)

        buttons = QHBoxLayout()
        self.sign_out_button = QPushButton("サインアウト")
        self.sign_out_button.clicked.connect(self._sign_out)
        self.unlock_button = QPushButton("手のひらをかざしてロックを解除")
        self.unlock_button.setDefault(True)
        self.unlock_button.setMinimumWidth(220)
        self.unlock_button.clicked.connect(self.start_unlock)
        self.cancel_button = QPushButton("中止")
        self.cancel_button.setMinimumWidth(100)
        self.cancel_button.clicked.connect(self.cancel_unlock)
        self.cancel_button.hide()
        buttons.addWidget(self.sign_out_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 10)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def start_unlock(self) -> None:
        if self.op is not None:
            return
        resume = self._resume

        def task(on_guidance: Callable[[Any], None], _progress: object, cancel: CancelFlag) -> None:
            resume(on_guidance, cancel)

        self.op = run_palm_operation(
            self._runner, self.palm_view, task, parent=self, on_success=self._resumed
        )
        self.op.finished.connect(self._ended)
        self._set_running(True)

    def cancel_unlock(self) -> None:
        if self.op is not None:
            self.op.cancel()
            self.cancel_button.setEnabled(False)

    def _resumed(self, _result: None) -> None:
        self.palm_view.show_success("本人確認ができました。")
        self.unlocked.emit()

    def _ended(self) -> None:
        self.op = None
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.unlock_button.setVisible(not running)
        if not running:
            self.unlock_button.setText("もう一度かざしてロックを解除")
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)

    def _sign_out(self) -> None:
        if self.op is not None:
            self.op.cancel()
        self.sign_out_requested.emit()
