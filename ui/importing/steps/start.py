"""Step 1 of the import wizard: what can be imported, and choosing the files."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ui import style
from ui.importing.widgets import ORDER_TEXT, notice_label, wrapped_label


class StartStep(QWidget):
    """What the wizard takes and ファイルを選ぶ…."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(wrapped_label("学校や各課から届いたファイルを、データベースに取り込みます。",
                                style.SECTION_TITLE))
        layout.addWidget(wrapped_label(
            "CSV（UTF-8・Shift_JIS）、タブ区切り、Excel（.xlsx）のファイルを、一度に複数選べます。"
            "ファイルごとに、データの種類と見出しの対応を確かめ、検証結果を見てから取り込みます。"
            "取り込むまでデータベースは変わりません。"
        ))
        layout.addWidget(wrapped_label(ORDER_TEXT, style.NOTICE_TEXT))
        row = QHBoxLayout()
        self.choose_button = QPushButton("ファイルを選ぶ…")
        self.choose_button.setDefault(True)
        self.choose_button.setMinimumHeight(36)
        row.addWidget(self.choose_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.start_status = notice_label(style.ERROR_TEXT)
        layout.addWidget(self.start_status)
        layout.addStretch(1)
