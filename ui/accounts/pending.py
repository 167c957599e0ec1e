"""The accounts waiting for data keys, and the keys waiting to be renewed (アカウント管理).

A new account, a reset password, a re-enabled account or a wider role holds no data key until
someone who holds the key gives it; a person who lost access leaves the key to be renewed.
The list shows both to the project lead, who completes them here; others see who waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import style

if TYPE_CHECKING:
    from toda_desktop.accounts.service import PendingGrant

LOGIN_ROLE = Qt.ItemDataRole.UserRole


def pending_line(pending: PendingGrant) -> str:
    """「新任 職員（new-staff・データ整備・分析職員）　基本、出欠… — 鍵の付与待ち」."""
    return (f"{pending.display_name}（{pending.login_id}・{pending.role_label}）　"
            f"{'、'.join(pending.missing_labels)} — {pending.status_label}")


class PendingGrantsPanel(QWidget):
    """Hidden while nothing waits. ``grant_button`` gives the selected account the keys you
    hold; ``rotate_button`` renews the keys due."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(6)
        title = QLabel("データの鍵の付与待ち")
        title.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(title)
        note = QLabel(
            "新しいアカウント、パスワードの再設定、有効化、役割の変更のあとは、"
            "その鍵を持つ職員が「鍵を渡す」を押すまで、児童生徒のデータは開けません。"
            "管理者が設定したパスワードのままのアカウントには、ご本人が変更するまで渡せません。"
        )
        note.setWordWrap(True)
        note.setStyleSheet(style.MUTED)
        layout.addWidget(note)
        self.list = QListWidget()
        self.list.setAccessibleName("データの鍵の付与待ちの一覧")
        self.list.setMaximumHeight(120)
        layout.addWidget(self.list)
        self.rotation_label = QLabel()
        self.rotation_label.setWordWrap(True)
        layout.addWidget(self.rotation_label)
        buttons = QHBoxLayout()
        self.grant_button = QPushButton("鍵を渡す")
        self.rotate_button = QPushButton("鍵を更新する")
        buttons.addWidget(self.grant_button)
        buttons.addWidget(self.rotate_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._pending: list[PendingGrant] = []
        self._rotations: tuple[str, ...] = ()
        self.list.currentRowChanged.connect(lambda _row: self.update_buttons(False))
        self.setVisible(False)

    def set_items(self, pending: Sequence[PendingGrant], rotations: Sequence[str]) -> None:
        selected = self.selected_login()
        self._pending = list(pending)
        self._rotations = tuple(rotations)
        self.list.clear()
        for entry in self._pending:
            item = QListWidgetItem(pending_line(entry))
            item.setData(LOGIN_ROLE, entry.login_id)
            if not entry.can_complete:
                item.setForeground(QColor(style.MUTED_COLOR))
            self.list.addItem(item)
            if entry.login_id == selected:
                self.list.setCurrentItem(item)
        self.rotation_label.setText(
            "鍵の更新待ち（利用者が外れたため）: " + "、".join(self._rotations)
            if self._rotations else "")
        self.rotation_label.setVisible(bool(self._rotations))
        self.setVisible(bool(self._pending or self._rotations))
        self.update_buttons(False)

    def selected(self) -> PendingGrant | None:
        row = self.list.currentRow()
        return self._pending[row] if 0 <= row < len(self._pending) else None

    def selected_login(self) -> str | None:
        entry = self.selected()
        return entry.login_id if entry else None

    def select(self, login_id: str) -> bool:
        for row, entry in enumerate(self._pending):
            if entry.login_id == login_id:
                self.list.setCurrentRow(row)
                return True
        return False

    def update_buttons(self, working: bool) -> None:
        entry = self.selected()
        self.grant_button.setEnabled(entry is not None and entry.can_complete and not working)
        self.rotate_button.setVisible(bool(self._rotations))
        self.rotate_button.setEnabled(bool(self._rotations) and not working)
