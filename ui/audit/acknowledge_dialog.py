"""確認済みにする: recording why a known break of the audit chain happened (a restore from
backup, for example), so later checks report it as explained."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLineEdit, QWidget

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_phrase
from ui.dialogs import FormDialog

if TYPE_CHECKING:
    from toda_desktop.audit.service import ChainCheck


class AcknowledgeDialog(FormDialog):
    """Why the rollbacks/swaps the check found are known (e.g. a restore from a backup)."""

    def __init__(self, check: ChainCheck, date_style: DateStyle,
                 parent: QWidget | None = None) -> None:
        super().__init__(
            "監査ログの不整合を確認済みにする", "確認済みにする", parent,
            intro=f"{format_phrase(check.message, date_style)}\n\n"
                  "原因が分かっている場合（バックアップからの復元など）"
                  "だけ、その内容を記録して確認済みにします。記録は監査ログに残ります。"
                  "これより後に見つかった不整合は、また報告されます。")
        self.reason_edit = QLineEdit()
        self.reason_edit.setMaxLength(200)
        self.reason_edit.setPlaceholderText("例: 11月27日、教育委員会のバックアップから復元した")
        self.reason_edit.setAccessibleName("確認した内容")
        self.form.addRow("確認した内容", self.reason_edit)
        self.setMinimumWidth(560)

    def problem(self) -> str | None:
        return None if self.reason_edit.text().strip() else "確認した内容を入力してください。"
