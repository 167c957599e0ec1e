"""Small interactive charts (pyqtgraph) for pages; printable charts will use matplotlib.

Charts take their font from the widget (the bundled Japanese font set at start-up) and
format numbers the way the tables do, so chart and table read the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from toda_desktop.formatting import format_count
from ui import style

BAR_COLOR = "#4a7fc1"


class CountAxis(pg.AxisItem):  # type: ignore[misc]
    """Value axis that writes counts as '12,345' instead of SI prefixes."""

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        return [format_count(round(v * scale)) for v in values]


class PlainAxis(pg.AxisItem):  # type: ignore[misc]
    """Numbers with a sign, an ASCII minus and no SI prefixes (differences, estimates)."""

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        digits = 0 if spacing >= 1 else 1 if spacing >= 0.1 else 2
        return [f"{v * scale:+.{digits}f}" if abs(v) > 1e-12 else "0" for v in values]


class TitledPlot(QWidget):
    """A titled plot with its legend and a note on how to read it, below: the analytic
    charts of the risk pages and the school karte. ``tick_sample`` is the widest tick label
    expected on the left axis, so that the axis makes room for it."""

    def __init__(self, title: str, note: str, axes: dict[str, pg.AxisItem] | None = None,
                 *, height: int = 300, tick_sample: str = "+00.0",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tick_sample = tick_sample
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.title_label = QLabel(title)
        self.title_label.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(self.title_label)
        self.plot = pg.PlotWidget(axisItems=axes or {})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setAccessibleName(title)
        self.plot.setMinimumHeight(height)
        font = QFont(self.font())
        self.metrics = QFontMetrics(font)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setStyle(tickFont=font, tickTextOffset=6)
            axis.enableAutoSIPrefix(False)
        self.plot.getAxis("bottom").setHeight(self.metrics.height() + 16)
        self.plot.getAxis("left").setWidth(self.metrics.horizontalAdvance(tick_sample) + 16)
        layout.addWidget(self.plot, 1)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.legend)
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(style.MUTED)
        layout.addWidget(self.note)

    def axis_title(self, name: str, text: str) -> None:
        """Name an axis and make room for the name beside the tick labels."""
        axis = self.plot.getAxis(name)
        axis.setLabel(text, **{"font-family": self.font().family(), "font-size": "10pt",
                               "color": "#333333"})
        line = self.metrics.height()
        if name == "bottom":
            axis.setHeight(2 * line + 22)
        else:
            axis.setWidth(self.metrics.horizontalAdvance(self._tick_sample) + line + 26)


class BarChart(QWidget):
    """A titled bar chart of labelled counts, with the value written above each bar."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title_label = QLabel(title)
        self.title_label.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(self.title_label)
        self.plot = pg.PlotWidget(axisItems={"left": CountAxis("left")})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        font = self.font()
        metrics = QFontMetrics(font)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setStyle(tickFont=font, tickTextOffset=6)
            axis.enableAutoSIPrefix(False)
        # Room for the labels in the bundled font (the axes' defaults assume a smaller one).
        self.plot.getAxis("bottom").setHeight(metrics.height() + 16)
        self.plot.getAxis("left").setWidth(metrics.horizontalAdvance("000,000") + 14)
        self.plot.setMinimumHeight(220)
        layout.addWidget(self.plot)
        self._items: list[Any] = []

    def set_title(self, title: str) -> None:
        self.title_label.setText(title)

    def set_data(self, labels: Sequence[str], values: Sequence[int]) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items.clear()
        positions = list(range(len(values)))
        bars = pg.BarGraphItem(x=positions, height=list(values), width=0.6, brush=BAR_COLOR)
        self.plot.addItem(bars)
        self._items.append(bars)
        font = self.font()
        for x, value in zip(positions, values, strict=True):
            text = pg.TextItem(format_count(value), color="#333333", anchor=(0.5, 1.0))
            text.setFont(font)
            text.setPos(x, value)
            self.plot.addItem(text)
            self._items.append(text)
        self.plot.getAxis("bottom").setTicks([list(zip(positions, labels, strict=True))])
        top = max(values, default=0)
        self.plot.setXRange(-0.6, max(len(values) - 0.4, 0.6), padding=0)
        self.plot.setYRange(0, max(top * 1.15, 1), padding=0)
