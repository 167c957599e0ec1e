"""Which sections go on a printed sheet (the karte one-pager): one box per section the
role's karte has; at least one must stay ticked."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QCheckBox, QLabel, QWidget

from ui import style
from ui.dialogs import FormDialog

INTRO = ("ケース会議に持っていくカルテに載せる項目を選んでください。"
         "必要な項目だけを選ぶと、持ち出す情報が少なくなります。")


class SectionsDialog(FormDialog):
    def __init__(self, sections: Sequence[tuple[str, str]], chosen: Sequence[str] = (),
                 parent: QWidget | None = None, *, title: str = "印刷する項目",
                 intro: str = INTRO) -> None:
        super().__init__(title, "次へ", parent, intro)
        self.boxes: dict[str, QCheckBox] = {}
        for key, label in sections:
            box = QCheckBox(label)
            box.setChecked(not chosen or key in chosen)
            self.boxes[key] = box
            self.form.addRow(box)
        note = QLabel("印刷物には、役割で閲覧できる情報だけが載ります。")
        note.setStyleSheet(style.MUTED)
        self.form.addRow(note)
        self.submitted.connect(self.accept)

    def chosen(self) -> list[str]:
        return [key for key, box in self.boxes.items() if box.isChecked()]

    def problem(self) -> str | None:
        return None if self.chosen() else "印刷する項目を1つ以上選んでください。"
