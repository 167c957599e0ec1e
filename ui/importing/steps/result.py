"""Step 4 of the import wizard: what one file's import did, then the next file."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ui import style
from ui.importing.widgets import notice_label, wrapped_label


class ResultStep(QWidget):
    """What the import of one file did."""
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(12)
        self.result_title = wrapped_label("", style.SECTION_TITLE)
        layout.addWidget(self.result_title)
        self.result_label = wrapped_label("", style.OK_TEXT)
        layout.addWidget(self.result_label)
        self.result_hint = notice_label(style.NOTICE_TEXT)
        layout.addWidget(self.result_hint)
        layout.addWidget(wrapped_label(
            "取り込んだ内容は「取込履歴」から取り消せます。", style.MUTED
        ))
        row = QHBoxLayout()
        row.addStretch(1)
        self.next_button = QPushButton("次のファイルへ")
        self.next_button.setDefault(True)
        self.next_button.setMinimumHeight(34)
        row.addWidget(self.next_button)
        layout.addLayout(row)
        layout.addStretch(1)
