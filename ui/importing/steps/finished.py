"""The end of the import wizard: a summary over all chosen files."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ui import style
from ui.importing.widgets import notice_label, wrapped_label


class FinishedStep(QWidget):
    """The summary once every chosen file was imported, skipped or found unreadable."""
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(wrapped_label("選んだファイルの処理が終わりました。", style.SECTION_TITLE))
        self.finished_label = wrapped_label("")
        layout.addWidget(self.finished_label)
        self.finished_hint = notice_label(style.NOTICE_TEXT)
        layout.addWidget(self.finished_hint)
        row = QHBoxLayout()
        self.again_button = QPushButton("別のファイルを取り込む…")
        self.again_button.setMinimumHeight(34)
        row.addWidget(self.again_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
