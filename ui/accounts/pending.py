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
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui import style

if TYPE_CHECKING:
    from toda_desktop.accounts.service import DueRotations, PendingGrant

HEADERS = ("氏名・ログインID", "役割", "状態", "渡す鍵")
KEYS_COLUMN = 3


def pending_cells(pending: PendingGrant) -> tuple[str, str, str, str]:
    """One row: who, the role, the state (why it waits) and the keys to give."""
    return (f"{pending.display_name}（{pending.login_id}）", pending.role_label,
            pending.status_label, "、".join(pending.missing_labels))


def waiting_reason(pending: PendingGrant) -> str:
    """Why 「鍵を渡す」 is not available for this account (empty when it is)."""
    if pending.can_complete:
        return ""
    who = f"{pending.display_name}（{pending.login_id}）さん"
    if pending.waiting_for_owner:
        return (f"{who}は、管理者が設定したパスワードのままです。ご本人がサインインして"
                "パスワードを変更すると、鍵を持つ職員が鍵を渡せるようになります。")
    return f"{who}への鍵は、その鍵を持つ職員が渡します。あなたはこの鍵をお持ちではありません。"


class PendingGrantsPanel(QWidget):
    """Hidden while nothing waits. ``grant_button`` gives the selected account the keys you
    hold; ``rotate_button`` renews the keys due that you hold (disabled, with the reason, when
    you hold none of them)."""

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
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setAccessibleName("データの鍵の付与待ちの一覧")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        for column in range(KEYS_COLUMN):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(KEYS_COLUMN, QHeaderView.ResizeMode.Stretch)
        rows = self.table.verticalHeader()
        rows.setMinimumSectionSize(26)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # A narrower window wraps the keys column: the rows grow with it.
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        self.table.setMaximumHeight(140)
        layout.addWidget(self.table)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet(style.MUTED)
        layout.addWidget(self.reason_label)
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
        self._rotations: DueRotations | None = None
        self._working = False
        self.table.itemSelectionChanged.connect(lambda: self.update_buttons(self._working))
        self.setVisible(False)

    @property
    def rotations(self) -> DueRotations | None:
        return self._rotations

    def set_items(self, pending: Sequence[PendingGrant], rotations: DueRotations) -> None:
        selected = self.selected_login()
        self._pending = list(pending)
        self._rotations = rotations
        self.table.clearSelection()
        self.table.setRowCount(len(self._pending))
        for row, entry in enumerate(self._pending):
            for column, text in enumerate(pending_cells(entry)):
                item = QTableWidgetItem(text)
                if not entry.can_complete:
                    item.setForeground(QColor(style.MUTED_COLOR))
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        if selected is not None:
            self.select(selected)
        self.rotation_label.setText(self._rotation_text())
        self.rotation_label.setVisible(bool(rotations.labels))
        self.setVisible(bool(self._pending or rotations.labels))
        self.update_buttons(self._working)

    def _rotation_text(self) -> str:
        due = self._rotations
        if due is None or not due.labels:
            return ""
        return f"鍵の更新待ち（利用者が外れたため）: {'、'.join(due.labels)}　{due.others_message}"

    def selected(self) -> PendingGrant | None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else -1
        return self._pending[row] if 0 <= row < len(self._pending) else None

    def selected_login(self) -> str | None:
        entry = self.selected()
        return entry.login_id if entry else None

    def select(self, login_id: str) -> bool:
        for row, entry in enumerate(self._pending):
            if entry.login_id == login_id:
                self.table.selectRow(row)
                return True
        return False

    def update_buttons(self, working: bool) -> None:
        self._working = working
        entry = self.selected()
        self.grant_button.setEnabled(entry is not None and entry.can_complete and not working)
        reason = waiting_reason(entry) if entry is not None else ""
        self.reason_label.setText(reason)
        self.reason_label.setVisible(bool(reason))
        due = self._rotations
        renewable = bool(due and due.renewable)
        self.rotate_button.setVisible(bool(due and due.labels))
        self.rotate_button.setEnabled(renewable and not working)
        self.rotate_button.setToolTip(
            "" if renewable or due is None else due.others_message)
