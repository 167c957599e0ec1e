"""The question asked before a case is made: a case is a lasting record of a child, so it
is made on purpose, for a named child, with a title (件名) that says why."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from toda_desktop.cases.model import CaseDomain
from ui.dialogs import FormDialog

MAX_TITLE = 60


class NewCaseDialog(FormDialog):
    """件名 (required) for a new case of ``name`` in ``domain``; 「作成する」 only with one."""

    def __init__(self, name: str, domain: CaseDomain, parent: QWidget | None = None) -> None:
        who = f"{name} さん" if name else "この児童生徒"
        super().__init__(
            "新しい支援ケース", "作成する", parent,
            intro=(f"{who}の「{domain.label}」の支援ケースを作成します。作成したケースは"
                   "記録として残り、削除はできません（取り下げはできます）。\n"
                   "件名には、支援を始める理由を短く書いてください。"),
        )
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(MAX_TITLE)
        self.title_edit.setPlaceholderText("例: 登校しぶりへの支援")
        self.title_edit.setAccessibleName("件名")
        self.title_edit.setMinimumWidth(360)
        self.form.addRow("件名", self.title_edit)

    def title(self) -> str:
        return self.title_edit.text().strip()

    def problem(self) -> str | None:
        if not self.title():
            return "件名を入力してください。"
        return None
