"""Correcting a wrong 見守りアラート mark (issue 16): withdrawn, never erased.

The dialog asks why (required) and what is right instead: one of the marks, or nothing (the
mark before the wrong one, if any, stands again; else the alert is 未記録). The risk service
keeps the wrong mark in the history with the correction beside it (who, when, why) and logs
it; the page shows withdrawn marks as 取り消し.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QButtonGroup, QGridLayout, QPlainTextEdit, QRadioButton, QWidget

from toda_desktop.formatting import format_count
from ui.dialogs import FormDialog
from ui.risk.common import muted

BACK_TO_UNMARKED = "取り消すだけ（前の記録に戻す）"
REASON_LIMIT = 2000


class CorrectionDialog(FormDialog):
    """Why the mark in force is wrong, and what is right (a mark, or none)."""

    def __init__(self, alert_id: int, who: str, wrong: str, statuses: Sequence[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(
            "記録の訂正", "訂正する", parent,
            intro=(f"{who}の記録「{wrong}」を誤りとして取り消します。取り消した記録は消えずに、"
                   "訂正した人・日時・理由とともに履歴に残ります。"),
        )
        self.alert_id = alert_id
        self.setMinimumWidth(560)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setAccessibleName("訂正の理由")
        self.reason_edit.setPlaceholderText("例: 別の児童生徒の記録を誤って付けたため。")
        self.reason_edit.setFixedHeight(80)
        self.reason_edit.textChanged.connect(self.clear_error)
        self.form.addRow("訂正の理由", self.reason_edit)
        self.group = QButtonGroup(self)
        choices = QWidget()
        grid = QGridLayout(choices)
        grid.setContentsMargins(0, 0, 0, 0)
        self.buttons_by_status: dict[str | None, QRadioButton] = {}
        for n, status in enumerate((*statuses, None)):
            button = QRadioButton(status or BACK_TO_UNMARKED)
            button.setAccessibleName(status or BACK_TO_UNMARKED)
            self.group.addButton(button)
            self.buttons_by_status[status] = button
            grid.addWidget(button, n // 3, n % 3)
        self.buttons_by_status[None].setChecked(True)
        self.form.addRow("正しい記録", choices)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setAccessibleName("メモ")
        self.note_edit.setFixedHeight(60)
        self.form.addRow("メモ", self.note_edit)
        self.form.addRow("", muted(f"理由とメモは{format_count(REASON_LIMIT)}文字までです。"))

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()

    def chosen_status(self) -> str | None:
        """The right mark; None: only withdraw (the earlier mark, if any, stands)."""
        return next(s for s, b in self.buttons_by_status.items() if b.isChecked())

    def choose(self, status: str | None) -> None:
        self.buttons_by_status[status].setChecked(True)

    def problem(self) -> str | None:
        if not self.reason():
            return "訂正の理由を入力してください。"
        if len(self.reason()) > REASON_LIMIT or len(self.note()) > REASON_LIMIT:
            return f"理由とメモは{format_count(REASON_LIMIT)}文字以内で入力してください。"
        return None
