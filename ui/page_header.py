"""The title row every list page starts with: title, a short status beside it, 最新の情報に更新."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton

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
