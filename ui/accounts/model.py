"""The list of accounts as the アカウント管理 page shows it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from ui import style
from ui.table_model import LinesTableModel

if TYPE_CHECKING:
    from toda_desktop.accounts.service import AccountSummary


HEADERS = ("ログインID", "氏名", "役割", "状態", "手のひら静脈", "ロック")


RULES_TEXT = (
    "8文字以上。記号や大文字の組み合わせは不要です。よく使われるパスワードは使えません。"
)


class RoleLike(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...


class AccountsModel(LinesTableModel["AccountSummary"]):
    """The accounts as rows (plain ``AccountSummary`` data)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(HEADERS, parent)

    @property
    def accounts(self) -> list[AccountSummary]:
        return self.lines

    def set_accounts(self, accounts: Sequence[AccountSummary]) -> None:
        self.set_lines(accounts)

    @staticmethod
    def cells(account: AccountSummary) -> tuple[str, ...]:
        return (
            account.login_id,
            account.display_name,
            account.role_label,
            account.status_label,
            "登録済" if account.palm_enrolled else "未登録",
            "ロック中" if account.locked else "—",
        )

    def cell_data(self, account: AccountSummary, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(account)[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 5 and account.locked:
                return QColor(style.ERROR_COLOR)
            if column == 4 and not account.palm_enrolled:
                return QColor(style.ERROR_COLOR)
            if not account.active:
                return QColor(style.MUTED_COLOR)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 3:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None
