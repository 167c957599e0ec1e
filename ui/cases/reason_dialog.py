"""The question asked before a restricted note is opened: why (the answer is logged).

Opening a note about child protection or health is a deliberate act: the note is listed
without its text, and its text is read only after the user gives a reason here; the service
writes the reason to the audit log with the opening.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ui.cases.widgets import reason_combo
from ui.dialogs import FormDialog

REASONS = (
    "ケース会議の準備のため",
    "関係機関との連携のため",
    "支援方針の検討のため",
)
MIN_REASON = 4


class ReasonDialog(FormDialog):
    """A reason, chosen from common ones or written; 「開く」 only with one."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(
            "制限付きのメモを開く", "開く", parent,
            intro=(f"{what}を開きます。開いたことは、理由・日時・氏名とともに監査ログに"
                   "記録されます。\n必要なときだけ開き、内容を他に写さないでください。"),
        )
        self.reason_combo = reason_combo(REASONS, "開く理由", 360)
        self.form.addRow("開く理由", self.reason_combo)

    def reason(self) -> str:
        return self.reason_combo.currentText().strip()

    def problem(self) -> str | None:
        if len(self.reason()) < MIN_REASON:
            return "開く理由を入力してください（記録に残ります）。"
        return None
