"""Distributions, not only means: a group's histogram against the city's (pyqtgraph, bundled
font). Groups under 10 pupils come without a distribution from the service and are not drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ui.school_karte.charts import SCHOOL_COLOR, Chart, NumberAxis, swatch

MIN_PUPILS = 10


@dataclass(frozen=True)
class Histogram:
    """Percent of pupils per bin for the group and for the city (same grades), over ``edges``;
    ``n_city`` 0 when not known."""

    edges: tuple[float, ...]
    school: tuple[float, ...]
    city: tuple[float, ...]
    n_school: int
    n_city: int


class HistogramPlot(Chart):
    """The school's distribution as bars, the city's as a stepped outline over them."""

    def __init__(self, title: str, unit: str, parent: QWidget | None = None) -> None:
        super().__init__(
            title,
            "棒はこの集団、階段状の点線は市の同じ学年の分布です（それぞれの児童生徒数に対する割合）。",
            {"left": NumberAxis("left"), "bottom": NumberAxis("bottom")}, height=240,
            parent=parent)
        self.axis_title("left", "児童生徒の割合（%）")
        self.axis_title("bottom", unit)
        self.histogram: Histogram | None = None

    def set_histogram(self, histogram: Histogram) -> None:
        self.plot.clear()
        self.histogram = histogram
        edges = np.asarray(histogram.edges, dtype=float)
        centres = (edges[:-1] + edges[1:]) / 2
        widths = np.diff(edges) * 0.85
        school = np.asarray(histogram.school, dtype=float)
        city = np.asarray(histogram.city, dtype=float)
        self.plot.addItem(pg.BarGraphItem(x=centres, height=school, width=widths,
                                          brush="#c7d5ea", pen=pg.mkPen(SCHOOL_COLOR)))
        self.plot.addItem(pg.PlotDataItem(edges, city, stepMode="center", pen=pg.mkPen(
            "#111827", width=2, style=Qt.PenStyle.DashLine)))
        top = max(float(school.max(initial=0)), float(city.max(initial=0)), 1.0)
        self.plot.setYRange(0, top * 1.15, padding=0)
        self.plot.setXRange(float(edges[0]), float(edges[-1]), padding=0.02)
        self.plot.getAxis("bottom").setTicks([[(float(e), f"{e:g}") for e in edges]])
        self.legend.setText("　".join([
            f"{swatch(SCHOOL_COLOR, '■')} この集団（{histogram.n_school:,}人）",
            f"{swatch('#111827', '┅')} 市全体" + (f"（{histogram.n_city:,}人）"
                                                  if histogram.n_city else "")]))
