"""Page chrome shared by every page: the title row (title, a short status beside it, the
page's actions such as 最新の情報に更新), the status line under a toolbar (result or
explained failure, inline) and the in-page progress strip with 中止."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ui import style


class PageHeader(QHBoxLayout):
    """The title row of a page: the title, a short status (or subtitle) beside it, and the
    page's actions at the right (最新の情報に更新 among them, if the page has one)."""

    def __init__(self, title: str, *, status_css: str = style.MUTED, spacing: int = 12) -> None:
        super().__init__()
        self.heading = QLabel(title)
        self.heading.setStyleSheet(style.PAGE_TITLE)
        self.status = QLabel("")
        self.status.setStyleSheet(status_css)
        self.addWidget(self.heading)
        self.addSpacing(spacing)
        self.addWidget(self.status)
        self._stretch_index = self.count()
        self.addStretch(1)

    def add_action(self, *widgets: QWidget) -> None:
        """Widgets at the right end, in order."""
        for widget in widgets:
            self.addWidget(widget)

    def add_refresh(self, on_refresh: Callable[[], object]) -> QPushButton:
        button = QPushButton("最新の情報に更新")
        button.clicked.connect(on_refresh)
        self.addWidget(button)
        return button

    def add_lead(self, *widgets: QWidget) -> None:
        """Widgets right after the title, in place of the status (a page's choice of month
        or year: 「対象月: [令和8年4月]」)."""
        self.status.hide()
        for widget in widgets:
            self.insertWidget(self._stretch_index, widget)
            self._stretch_index += 1

    def set_middle(self, widget: QWidget, stretch: int = 1) -> None:
        """A widget that takes the room between the title and the actions (the import
        wizard's steps) instead of empty space."""
        self.status.hide()  # takes no room then (nor the layout's spacing beside it)
        self.takeAt(self._stretch_index)
        self.insertWidget(self._stretch_index, widget, stretch)


def title_row(
    title: str, on_refresh: Callable[[], object], status_css: str = style.MUTED
) -> tuple[QHBoxLayout, QLabel, QPushButton]:
    """Returns the row, the status label next to the title and the refresh button."""
    row = PageHeader(title, status_css=status_css)
    refresh = row.add_refresh(on_refresh)
    return row, row.status, refresh


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
