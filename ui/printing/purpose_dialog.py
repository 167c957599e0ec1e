"""The question before a print preview: why the sheet is printed (the lead's list of export
purposes, or その他 with words). No approval is asked: every sheet is numbered, logged and
chased by the print register until it is returned or shredded. The service checks again."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from toda_desktop.export_purpose.model import MAX_NOTE, OTHER, Purpose
from toda_desktop.formatting import format_count
from toda_desktop.printing.document import DOCUMENT_LABELS, PrintDocument
from toda_desktop.printing.service import KEEP_WORDS, PrintOptions
from ui import style
from ui.dialogs import FormDialog

OTHER_TEXT = f"{OTHER}（下の補足に具体的に書く）"
NEXT_TEXT = "プレビューを表示"


def intro_text(document: PrintDocument, options: PrintOptions) -> str:
    what = DOCUMENT_LABELS[document.kind]
    who = (f"{format_count(len(set(document.pupils)))}人の児童生徒の情報が載ります。"
           if document.pupils else "児童生徒の名前は載りません。")
    return (f"「{what}」を印刷します。{who}印刷の目的を選んでください。"
            "目的は印刷の記録と監査ログに残ります。")


class PrintPurposeDialog(FormDialog):
    def __init__(self, document: PrintDocument, options: PrintOptions,
                 parent: QWidget | None = None) -> None:
        super().__init__("印刷の目的", NEXT_TEXT, parent, intro_text(document, options))
        self.setMinimumWidth(560)
        self.choice = QComboBox()
        self.choice.setAccessibleName("印刷の目的")
        for entry in options.purposes:
            self.choice.addItem(entry, entry)
        self.choice.addItem(OTHER_TEXT, OTHER)
        self.form.addRow("目的", self.choice)
        self.note = QLineEdit()
        self.note.setAccessibleName("目的の補足")
        self.note.setMaxLength(MAX_NOTE)
        self.note.setPlaceholderText("例: 12月10日のケース会議（「その他」のときは必須）")
        self.form.addRow("補足", self.note)
        rules = QLabel(
            f"すべてのページに「{KEEP_WORDS}」、印刷番号、印刷者、印刷日時と返却・廃棄期限"
            f"（印刷の{options.return_days}日後）が入ります。会議の後は回収するか"
            "シュレッダーで廃棄し、「印刷の記録」で回収済み・廃棄済みにしてください。")
        rules.setWordWrap(True)
        rules.setStyleSheet(style.NOTICE_TEXT)
        self.form.addRow(rules)

    def problem(self) -> str | None:
        if self.choice.currentData() == OTHER and not self.note.text().strip():
            return f"目的に「{OTHER}」を選んだときは、補足に具体的な目的を書いてください。"
        return None

    def purpose(self) -> Purpose:
        return Purpose(str(self.choice.currentData()), self.note.text())
