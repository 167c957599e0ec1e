"""The end of the import wizard: a summary over all chosen files."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ui import style
from ui.importing.models.files import IMPORTED, NOTHING, SKIPPED, UNREADABLE, FileEntry
from ui.importing.widgets import n_rows, notice_label, say, wrapped_label


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

    def show_summary(self, entries: Sequence[FileEntry]) -> None:
        """How many files were imported, had nothing new, were skipped or unreadable."""
        done = [e for e in entries if e.state == IMPORTED]
        rows = sum(e.result.inserted for e in done if e.result is not None)
        queued = sum(e.result.queued for e in done if e.result is not None)
        parts = [f"取り込んだファイル {len(done)}件（新規 {n_rows(rows)}）"]
        for state, words in ((NOTHING, "新しい行がなかったファイル"),
                             (SKIPPED, "飛ばしたファイル"), (UNREADABLE, "読めなかったファイル")):
            count = sum(e.state == state for e in entries)
            if count:
                parts.append(f"{words} {count}件")
        self.finished_label.setText(
            "、".join(parts) + "。左の一覧で、ファイルごとの結果を確認できます。")
        say(self.finished_hint, (
            f"確認待ちの {n_rows(queued)}があります。「名寄せ確認」で確認してください。"
            "確認した判断は記憶され、同じ提出元の次の取込では自動で照合されます。"
        ) if queued else "")
