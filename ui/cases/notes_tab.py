"""メモ: the case's notes. Ordinary notes show their text; a restricted one (child protection,
health) shows only that it exists and when it was written, and opens only after the user
asks for it and gives a reason (the service logs the opening with the reason). A role with
``case_edit`` may withdraw a note (any kind, without opening it) with a reason: the note stays
listed, greyed and marked 取り下げ with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.cases.model import NoteKind, NoteSummary, RecordStatus
from toda_desktop.formatting import format_date
from ui import style
from ui.cases.reason_dialog import ReasonDialog
from ui.cases.widgets import muted, sheet_title

OPEN_TEXT = "内容を開く（記録されます）"
NOTE_CSS = (
    "QFrame#caseNote { background: white; border: 1px solid #c5cfd9; border-radius: 4px; }"
    " QFrame#restrictedNote { background: #fff8e1; border: 1px solid #e9c77a;"
    " border-radius: 4px; }"
    " QFrame#withdrawnNote { background: #f1f1f1; border: 1px dashed #b9b9b9;"
    " border-radius: 4px; }"
)
WITHDRAW_TEXT = "取り下げる…"


def restricted_line(note: NoteSummary, date_style: DateStyle) -> str:
    return (f"制限付きのメモ（{note.kind.label}）あり — "
            f"{format_date(note.written_on, date_style)}　記入: {note.author}")


class NoteCard(QFrame):
    """One note; a restricted one with 「内容を開く（記録されます）」."""

    open_requested = Signal(object)  # NoteSummary
    withdraw_requested = Signal(object)  # NoteSummary

    def __init__(self, note: NoteSummary, date_style: DateStyle,
                 parent: QWidget | None = None, *, may_edit: bool = False) -> None:
        super().__init__(parent)
        self.note = note
        withdrawn = note.status is RecordStatus.WITHDRAWN
        self.setObjectName("withdrawnNote" if withdrawn else
                           "restrictedNote" if note.restricted else "caseNote")
        self.setStyleSheet(NOTE_CSS)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.open_button: QPushButton | None = None
        self.withdraw_button: QPushButton | None = None
        if may_edit and not withdrawn:
            self.withdraw_button = QPushButton(WITHDRAW_TEXT)
            self.withdraw_button.setToolTip("誤って書いたメモを、理由を添えて取り下げます（削除は"
                                            "されず、内容も開きません）")
            self.withdraw_button.clicked.connect(lambda: self.withdraw_requested.emit(self.note))
        self.text_label = QLabel(note.text or "")
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if note.restricted:
            head = QHBoxLayout()
            line = QLabel(restricted_line(note, date_style))
            line.setStyleSheet("font-weight: bold; color: #7a4b00;")
            line.setWordWrap(True)
            head.addWidget(line, 1)
            self.open_button = QPushButton(OPEN_TEXT)
            self.open_button.setToolTip("開く理由を尋ねてから表示します。開いたことは監査ログに"
                                        "記録されます")
            self.open_button.clicked.connect(lambda: self.open_requested.emit(self.note))
            head.addWidget(self.open_button)
            if self.withdraw_button is not None:
                head.addWidget(self.withdraw_button)
            layout.addLayout(head)
            self.text_label.hide()
        else:
            head = QHBoxLayout()
            head_label = QLabel(f"{format_date(note.written_on, date_style)}　"
                                f"{note.kind.label}　記入: {note.author}")
            head_label.setStyleSheet(style.MUTED)
            head.addWidget(head_label, 1)
            if self.withdraw_button is not None:
                head.addWidget(self.withdraw_button)
            layout.addLayout(head)
        if withdrawn:
            mark = QLabel(f"取り下げ — 理由: {note.status_reason}"
                          "（いつ・誰が取り下げたかは「変更履歴」に残っています）")
            mark.setWordWrap(True)
            mark.setStyleSheet("color: #555; font-weight: bold;")
            mark.setAccessibleName("取り下げの表示")
            layout.addWidget(mark)
            self.text_label.setStyleSheet("color: #777;")
        layout.addWidget(self.text_label)

    def show_text(self, text: str) -> None:
        self.text_label.setText(text)
        self.text_label.show()
        if self.open_button is not None:
            self.open_button.hide()


class NotesTab(QWidget):
    """The notes and, for roles with ``case_edit``, a form to add one."""

    add_requested = Signal(str, str)  # kind value, text
    withdraw_requested = Signal(object)  # NoteSummary
    edited = Signal()

    def __init__(self, date_style: DateStyle, open_note: Callable[[int, str], None],
                 parent: QWidget | None = None) -> None:
        """``open_note(note_id, reason)`` reads a restricted note (on the worker) and calls
        :meth:`show_opened` with its text."""
        super().__init__(parent)
        self._style = date_style
        self._open_note = open_note
        self.cards: list[NoteCard] = []
        self.dialog: ReasonDialog | None = None
        self._may_edit = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.addWidget(sheet_title("メモ"))
        outer.addWidget(muted(
            "児童虐待・要保護や健康・医療に関するメモは、あることだけを表示します。"
            "内容は「内容を開く」で理由を入力したときだけ表示し、そのことを記録します。"))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.list_box = QWidget()
        self.list_layout = QVBoxLayout(self.list_box)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.setSpacing(8)
        self.empty_label = muted("メモはまだありません。")
        self.list_layout.addWidget(self.empty_label)
        self.list_layout.addStretch(1)
        scroll.setWidget(self.list_box)
        outer.addWidget(scroll, 1)

        self.form = QFrame()
        form = QVBoxLayout(self.form)
        form.setContentsMargins(0, 8, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>新しいメモ</b>　種類:"))
        self.kind_combo = QComboBox()
        for kind in NoteKind:
            self.kind_combo.addItem(kind.label, kind.value)
        self.kind_combo.setAccessibleName("メモの種類")
        row.addWidget(self.kind_combo)
        row.addWidget(muted("（児童虐待・要保護、健康・医療は制限付きになります）", wrap=False))
        row.addStretch(1)
        form.addLayout(row)
        self.text_edit = QPlainTextEdit()
        self.text_edit.setAccessibleName("メモの内容")
        self.text_edit.setPlaceholderText("日付・誰から・どのような内容かを、事実に沿って書きます")
        self.text_edit.setFixedHeight(96)
        self.text_edit.textChanged.connect(self._text_changed)
        form.addWidget(self.text_edit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.add_button = QPushButton("メモを追加")
        self.add_button.clicked.connect(self._add)
        buttons.addWidget(self.add_button)
        form.addLayout(buttons)
        outer.addWidget(self.form)
        self._loading = False

    def _text_changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def _add(self) -> None:
        text = self.text_edit.toPlainText().strip()
        if text:
            self.add_requested.emit(str(self.kind_combo.currentData()), text)

    def payload(self) -> dict[str, object]:
        return {"kind": str(self.kind_combo.currentData()), "text": self.text_edit.toPlainText()}

    def set_payload(self, values: dict[str, object]) -> None:
        index = self.kind_combo.findData(values.get("kind"))
        if index >= 0:
            self.kind_combo.setCurrentIndex(index)
        self._loading = True
        try:
            self.text_edit.setPlainText(str(values.get("text") or ""))
        finally:
            self._loading = False

    def clear_form(self) -> None:
        self.set_payload({"kind": NoteKind.GENERAL.value, "text": ""})

    def set_read_only(self, read_only: bool) -> None:
        self._may_edit = not read_only
        self.form.setVisible(not read_only)

    def show_notes(self, notes: Sequence[NoteSummary]) -> None:
        for card in self.cards:
            self.list_layout.removeWidget(card)
            card.deleteLater()
        self.cards = []
        ordered = sorted(notes, key=lambda n: (n.written_on, n.id), reverse=True)
        for n, note in enumerate(ordered):
            card = NoteCard(note, self._style, may_edit=self._may_edit)
            card.open_requested.connect(self.ask_reason)
            card.withdraw_requested.connect(self.withdraw_requested)
            self.list_layout.insertWidget(n, card)
            self.cards.append(card)
        self.empty_label.setVisible(not ordered)

    def ask_reason(self, note: NoteSummary) -> ReasonDialog:
        dialog = ReasonDialog(f"制限付きのメモ（{note.kind.label}）", self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(lambda: self._reasoned(dialog, note))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _reasoned(self, dialog: ReasonDialog, note: NoteSummary) -> None:
        reason = dialog.reason()
        dialog.accept()
        self._open_note(note.id, reason)

    def show_opened(self, note_id: int, text: str) -> None:
        for card in self.cards:
            if card.note.id == note_id:
                card.show_text(text)
