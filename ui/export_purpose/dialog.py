"""The question before an identifiable export's file chooser: why the file is made (an entry
of the lead's list, or その他 with free text), and, above the lead's number of pupils, which
of the user's approvals it uses — or a request for one. The service checks all of it again;
this dialog only asks."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from toda_desktop.export_purpose.model import MAX_NOTE, OTHER, Purpose
from toda_desktop.export_purpose.service import ApprovalRow, ExportOptions
from toda_desktop.formatting import format_count
from ui import style
from ui.dialogs import FormDialog

OTHER_TEXT = f"{OTHER}（下の補足に具体的に書く）"
REQUEST_TEXT = "承認を依頼する"
NEXT_TEXT = "保存先を選ぶ…"


def approval_text(row: ApprovalRow) -> str:
    until = "" if row.valid_until is None else f"・{row.valid_until:%H:%M}まで有効"
    return f"承認番号 {row.id}（{format_count(row.pupils)}人まで{until}・{row.purpose}）"


class PurposeDialog(FormDialog):
    """Asks the purpose (and the approval); the page reads :meth:`purpose` when
    ``submitted`` fires and either exports or files a request (:attr:`requesting`)."""

    def __init__(self, options: ExportOptions, pupils: int,
                 parent: QWidget | None = None) -> None:
        self.options = options
        requesting = options.needs_approval and not options.approvals
        intro = (f"この出力（{options.description}）には、児童生徒を特定できる情報"
                 f"（氏名・生年月日・宛名番号など）が{format_count(pupils)}人分含まれます。"
                 "目的を選んでください。目的は監査ログに記録されます。")
        super().__init__("出力の目的", REQUEST_TEXT if requesting else NEXT_TEXT, parent, intro)
        self.setMinimumWidth(560)
        self.requesting = requesting
        self.choice = QComboBox()
        self.choice.setAccessibleName("出力の目的")
        for entry in options.purposes:
            self.choice.addItem(entry, entry)
        self.choice.addItem(OTHER_TEXT, OTHER)
        self.form.addRow("目的", self.choice)
        self.note = QLineEdit()
        self.note.setAccessibleName("目的の補足")
        self.note.setMaxLength(MAX_NOTE)
        self.note.setPlaceholderText("例: 12月10日のケース会議（「その他」のときは必須）")
        self.form.addRow("補足", self.note)
        self.approval: QComboBox | None = None
        if options.needs_approval:
            self._add_approval_rows(options, pupils)

    def _add_approval_rows(self, options: ExportOptions, pupils: int) -> None:
        lead = (f"{format_count(options.threshold)}人を超える出力には、事業全体総括職員の承認が"
                "必要です（承認は、承認された日のうちに1回だけ使えます）。")
        if options.approvals:
            approval = QComboBox()
            approval.setAccessibleName("使う承認")
            for row in options.approvals:
                approval.addItem(approval_text(row), row.id)
            approval.currentIndexChanged.connect(self._approval_chosen)
            self.approval = approval
            self.form.addRow("承認", approval)
            self._approval_chosen()
        else:
            lead += ("使える承認がありません。「承認を依頼する」を押すと、選んだ目的と人数"
                     f"（{format_count(pupils)}人）で依頼します。承認されたら、もう一度出力して"
                     "ください。")
        label = QLabel(lead)
        label.setWordWrap(True)
        label.setStyleSheet(style.NOTICE_TEXT)
        self.form.addRow(label)
        self.lead_label = label

    def _approval_chosen(self) -> None:
        """An approval carries its purpose: shown in its line, not chosen again."""
        if self.approval is None:
            return
        self.form.setRowVisible(self.choice, False)
        self.form.setRowVisible(self.note, False)

    def problem(self) -> str | None:
        if self.approval is None and self.choice.currentData() == OTHER and not (
                self.note.text().strip()):
            return f"目的に「{OTHER}」を選んだときは、補足に具体的な目的を書いてください。"
        return None

    def purpose(self) -> Purpose:
        if self.approval is not None:
            return Purpose(approval_id=int(self.approval.currentData()))
        return Purpose(str(self.choice.currentData()), self.note.text())
