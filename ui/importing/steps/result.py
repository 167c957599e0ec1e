"""Step 4 of the import wizard: what one file's import did, then the next file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ui import style
from ui.importing.models.preview import result_summary
from ui.importing.widgets import n_rows, notice_label, say, wrapped_label

if TYPE_CHECKING:
    from toda_desktop.importing.service import ImportResult


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

    def show_result(self, name: str, result: ImportResult, *, last: bool) -> None:
        """What importing the file ``name`` did; ``last``: no file waits after it."""
        self.result_title.setText(f"「{name}」を取り込みました（取込番号 {result.batch_id}）")
        self.result_label.setText(f"{result.kind_label}: {result_summary(result)}")
        say(self.result_hint, (
            f"確認待ちの {n_rows(result.queued)}は「名寄せ確認」で、どの児童生徒の行かを"
            "決めてください。決めた行はその時点で取り込まれます。"
        ) if result.queued else "")
        self.next_button.setText("まとめを見る" if last else "次のファイルへ")
