"""Page chrome shared by every page: the title row (title, a short status beside it,
最新の情報に更新), the status line under a toolbar (result or explained failure, inline) and
the in-page progress strip with 中止."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ui import style


def title_row(
    title: str, on_refresh: Callable[[], object], status_css: str = style.MUTED
) -> tuple[QHBoxLayout, QLabel, QPushButton]:
    """Returns the row, the status label next to the title and the refresh button."""
    row = QHBoxLayout()
    heading = QLabel(title)
    heading.setStyleSheet(style.PAGE_TITLE)
    status = QLabel("")
    status.setStyleSheet(status_css)
    refresh = QPushButton("最新の情報に更新")
    refresh.clicked.connect(on_refresh)
    row.addWidget(heading)
    row.addSpacing(12)
    row.addWidget(status)
    row.addStretch(1)
    row.addWidget(refresh)
    return row, status, refresh


class StatusLine(QLabel):
    """The line under the toolbar of a page: an explained failure or a result, inline."""

    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, message: str, *, error: bool = False, notice: bool = False) -> None:
        self.setText(message)
        css = style.ERROR_TEXT if error else style.NOTICE_TEXT if notice else style.OK_TEXT
        self.setStyleSheet(css)
        self.setVisible(bool(message))

    def clear_message(self) -> None:
        self.setText("")
        self.hide()


class ProgressStrip(QWidget):
    """Progress of long work inside the page: what runs, how far, and 中止."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%p%")
        self.bar.setMinimumWidth(240)
        self.bar.setAccessibleName("進み具合")
        self.cancel_button = QPushButton("中止")
        self.cancel_button.setToolTip("処理を途中でやめます。保存済みのデータは変わりません")
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.hide()

    def start(self, text: str) -> None:
        self.label.setText(text)
        self.bar.setValue(0)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("中止")
        self.show()

    def set_fraction(self, fraction: float) -> None:
        self.bar.setValue(round(max(0.0, min(1.0, fraction)) * 1000))

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("中止しています…")

    def stop(self) -> None:
        self.hide()
