"""取り下げ: a meeting's record or a note is marked withdrawn — never deleted — with a reason
that is required, after the user confirms what it means.

The withdrawn item stays on screen marked 「取り下げ」 with its reason; the case's history
records who withdrew it, when and why (the service writes it in the same transaction).
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QWidget

from toda_desktop.cases.forms import MIN_REASON
from ui.cases.widgets import reason_combo
from ui.dialogs import FormDialog

REASONS = (
    "別の児童生徒の記録を誤って入力したため",
    "同じ内容を重ねて入力したため",
    "内容に誤りがあり、記録し直すため",
)


class WithdrawDialog(FormDialog):
    """Why the item is withdrawn (chosen or written), and a tick that the user understood."""

    def __init__(self, what: str, consequence: str = "", parent: QWidget | None = None
                 ) -> None:
        super().__init__(
            f"{what}を取り下げる", "取り下げる", parent,
            intro=(f"{what}を取り下げます。記録は削除されず、「取り下げ」の印と理由をつけて"
                   "残ります。取り下げたことは、日時・氏名・理由とともに変更履歴に記録され、"
                   "元に戻すことはできません。" + consequence),
        )
        self.setMinimumWidth(520)
        self.reason_combo = reason_combo(REASONS, "取り下げる理由", 380)
        self.confirm_check = QCheckBox("取り下げると元に戻せないことを確認しました")
        self.confirm_check.setAccessibleName("取り下げの確認")
        self.form.addRow("理由（必須）", self.reason_combo)
        self.form.addRow("", self.confirm_check)

    def reason(self) -> str:
        return self.reason_combo.currentText().strip()

    def problem(self) -> str | None:
        if len(self.reason()) < MIN_REASON:
            return "取り下げる理由を入力してください（変更履歴に残ります）。"
        if not self.confirm_check.isChecked():
            return "「元に戻せないことを確認しました」にチェックを入れてください。"
        return None
