"""The list of chosen files on the left of the import wizard: each file's state and
summary, why the order was changed, and 残りのファイルをやめる."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import style
from ui.importing.models.files import FileQueueModel
from ui.importing.widgets import plain_table, wrapped_label


class QueuePanel(QWidget):
    """The chosen files in the order they are processed; hidden until files are chosen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(260)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("取り込むファイル")
        heading.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(heading)
        self.queue_model = FileQueueModel(self)
        self.queue_table = plain_table(self.queue_model, "取り込むファイルの一覧")
        self.queue_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.queue_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.queue_table.setWordWrap(True)
        self.queue_table.setAlternatingRowColors(False)
        self.queue_table.horizontalHeader().setStretchLastSection(True)
        self.queue_table.horizontalHeader().hide()
        self.queue_table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.queue_table.setShowGrid(False)
        self.queue_table.setStyleSheet(
            "QTableView { border: 1px solid #d0d7de; }"
            " QTableView::item { border-bottom: 1px solid #e4e8ec; padding: 2px 6px; }"
        )
        layout.addWidget(self.queue_table, 1)
        self.order_label = wrapped_label("", style.MUTED)
        layout.addWidget(self.order_label)
        self.stop_button = QPushButton("残りのファイルをやめる")
        self.stop_button.setToolTip("まだ取り込んでいないファイルを取り込まずに終わります")
        layout.addWidget(self.stop_button)
        self.hide()
