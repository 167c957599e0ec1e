"""How the 抽出 page divides its height: saved list and conditions above, results below."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget


def page_splitter(saved: QWidget, builder: QWidget, results: QWidget) -> QSplitter:
    """Saved extractions beside the condition tree, above the results; nothing collapses to
    nothing, and ``ResultsFit`` later gives the results the height the conditions do not need."""
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.setChildrenCollapsible(False)
    top = QSplitter(Qt.Orientation.Horizontal)
    top.setChildrenCollapsible(False)
    top.addWidget(saved)
    top.addWidget(builder)
    top.setStretchFactor(1, 1)
    top.setSizes([250, 900])
    splitter.addWidget(top)
    splitter.addWidget(results)
    splitter.setStretchFactor(0, 5)
    splitter.setStretchFactor(1, 6)
    return splitter
