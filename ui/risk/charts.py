"""Charts of the risk pages (pyqtgraph, bundled font): the reliability curve and the recall
bars of the model's evaluation, and the forest plot of the factor analysis.

Each chart is a titled widget with its legend as ordinary Qt text under the plot (crisp in
the bundled font) and a short sentence saying how to read it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from analysis.risk.bands import EVENT_SHORT
from ui.charts import PlainAxis, TitledPlot

# One colour per series: the model and the six simple rankings never share a colour.
SERIES_COLORS = ("#1f5fa8", "#e8a33d", "#7f8c9a", "#2e9d6a", "#8e5ea2", "#c0504d", "#4bacc6")
SINGLE_COLOR = "#8a94a3"
ADJUSTED_COLOR = "#1f5fa8"


class PercentAxis(pg.AxisItem):  # type: ignore[misc]
    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        digits = 0 if spacing >= 1 else 1 if spacing >= 0.1 else 2
        return [f"{v * scale:.{digits}f}%" for v in values]


WORD_JOINER = "\u2060"


def unbroken(text: str) -> str:
    """``text`` that a wrapping label never splits: Qt's rich text ignores <nobr> and
    white-space in Japanese, but keeps word joiners and no-break spaces."""
    return WORD_JOINER.join(text.replace(" ", "\u00a0"))


def legend_html(entries: Sequence[tuple[str, str]]) -> str:
    """Entries wrap between one another, never inside a name (a split 「…累積 / 欠席」)."""
    return "　".join(
        f'<span style="color:{color}; font-size:14pt;">■</span>&nbsp;{unbroken(text)}'
        for text, color in entries
    )


def nice_top(value: float) -> float:
    """A round upper end (1, 2, 2.5, 5 × 10^n) at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= value - 1e-12:
            return float(factor * power)
    return float(10 * power)


class _Chart(TitledPlot):
    """A risk page's chart: shares and percentages on the left axis."""

    def __init__(self, title: str, note: str, left_axis: pg.AxisItem,
                 bottom_axis: pg.AxisItem | None = None, parent: QWidget | None = None) -> None:
        axes = {"left": left_axis}
        if bottom_axis is not None:
            axes["bottom"] = bottom_axis
        super().__init__(title, note, axes, height=240, tick_sample="100.0%", parent=parent)


class ReliabilityChart(_Chart):
    """Predicted against observed share of new 不登校 onsets, by groups of pupil-months."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "信頼性曲線（予測した割合と実際の割合）",
            "点が斜めの点線に近いほど、予測した割合が実際の割合に合っています。"
            "点は予測の低い順に人月を同じ数ずつ分けたまとまりです（評価年度）。",
            PercentAxis("left"), PercentAxis("bottom"))
        self.axis_title("bottom", "予測した割合")
        self.axis_title("left", "実際の割合")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.points: list[tuple[float, float]] = []

    def set_points(self, points: Sequence[tuple[float, float]]) -> None:
        """(predicted, observed) shares of each group of pupil-months."""
        self.plot.clear()
        xs = [100 * predicted for predicted, _observed in points]
        ys = [100 * observed for _predicted, observed in points]
        self.points = list(zip(xs, ys, strict=True))
        top = nice_top(max([*xs, *ys, 0.0]) * 1.08)
        diagonal = pg.PlotDataItem([0, top], [0, top], pen=pg.mkPen(
            "#9aa5b1", width=1.5, style=Qt.PenStyle.DashLine))
        self.plot.addItem(diagonal)
        if xs:
            self.plot.addItem(pg.PlotDataItem(
                xs, ys, pen=pg.mkPen(SERIES_COLORS[0], width=2), symbol="o", symbolSize=8,
                symbolBrush=SERIES_COLORS[0], symbolPen=pg.mkPen("w")))
        self.plot.setXRange(0, top, padding=0.02)
        self.plot.setYRange(0, top, padding=0.02)
        self.legend.setText(legend_html([("選ばれたモデル", SERIES_COLORS[0]),
                                         ("ぴったり合う線（点線）", "#9aa5b1")]))


@dataclass(frozen=True)
class BarSeries:
    label: str
    values: tuple[float | None, ...]  # shares 0..1, one per k
    lo: tuple[float | None, ...]
    hi: tuple[float | None, ...]


class RecallBars(_Chart):
    """Recall of each school's k-pupil list per month, the model beside the baselines, with
    intervals (the words say 各校k人, never 上位 or 順位: no pupil is ranked on screen)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "一覧の再現率（各校k人・月ごと）",
            f"新たに{EVENT_SHORT}となった児童生徒のうち、前月の一覧（各校k人）に"
            "入っていた割合です。縦の線は95%区間。",
            PercentAxis("left"))
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.series: list[BarSeries] = []

    def set_series(self, ks: Sequence[int], series: Sequence[BarSeries]) -> None:
        self.plot.clear()
        self.series = list(series)
        count = max(len(series), 1)
        width = 0.8 / count
        for number, s in enumerate(series):
            color = SERIES_COLORS[number % len(SERIES_COLORS)]
            xs = [i - 0.4 + width * (number + 0.5) for i in range(len(ks))]
            heights = [100 * (v or 0.0) for v in s.values]
            self.plot.addItem(pg.BarGraphItem(x=xs, height=heights, width=width * 0.9,
                                              brush=color, pen=pg.mkPen("w", width=0.6)))
            top = [100 * (h if h is not None else v or 0.0) for h, v in zip(s.hi, s.values,
                                                                           strict=True)]
            bottom = [100 * (lo if lo is not None else v or 0.0) for lo, v in zip(
                s.lo, s.values, strict=True)]
            self.plot.addItem(pg.ErrorBarItem(
                x=np.array(xs), y=np.array(heights),
                top=np.array([t - h for t, h in zip(top, heights, strict=True)]),
                bottom=np.array([h - b for h, b in zip(heights, bottom, strict=True)]),
                beam=width * 0.35, pen=pg.mkPen("#333333", width=1.2)))
        self.plot.getAxis("bottom").setTicks(
            [[(float(i), f"各校{k}人") for i, k in enumerate(ks)]])
        left = self.plot.getAxis("left")
        left.setTicks([[(float(v), f"{v}%") for v in range(0, 101, 20)]])
        self.plot.setXRange(-0.55, len(ks) - 0.45, padding=0)
        self.plot.setYRange(-1.5, 106, padding=0)
        self.legend.setText(legend_html(
            [(s.label, SERIES_COLORS[n % len(SERIES_COLORS)]) for n, s in enumerate(series)]))


@dataclass(frozen=True)
class ForestRow:
    label: str
    single: tuple[float, float, float]  # estimate, low, high
    adjusted: tuple[float, float, float]


class ForestPlot(_Chart):
    """Each factor's estimate with its 95% interval: alone and adjusted for the others."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "推定値と95%区間",
            "点が推定値、横線が95%区間です。縦の点線（0）をまたぐ区間は、"
            "関連がはっきりしないことを示します。",
            pg.AxisItem("left"), PlainAxis("bottom"))
        self.rows: list[ForestRow] = []

    def set_rows(self, rows: Sequence[ForestRow], unit_note: str) -> None:
        self.plot.clear()
        self.rows = list(rows)
        n = len(rows)
        ticks = []
        lows: list[float] = []
        highs: list[float] = []
        for i, row in enumerate(rows):
            y = float(n - 1 - i)  # first row at the top
            ticks.append((y, row.label))
            for offset, (est, lo, hi), color in ((0.16, row.single, SINGLE_COLOR),
                                                 (-0.16, row.adjusted, ADJUSTED_COLOR)):
                lows.append(lo)
                highs.append(hi)
                self.plot.addItem(pg.PlotDataItem([lo, hi], [y + offset, y + offset],
                                                  pen=pg.mkPen(color, width=2.5)))
                self.plot.addItem(pg.ScatterPlotItem(
                    [est], [y + offset], size=10, brush=pg.mkBrush(color),
                    pen=pg.mkPen("w"), symbol="o" if color == ADJUSTED_COLOR else "s"))
        self.plot.addItem(pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen(
            "#b3261e", width=1.2, style=Qt.PenStyle.DashLine)))
        left = self.plot.getAxis("left")
        left.setTicks([ticks])
        widest = max((self.metrics.horizontalAdvance(label) for _y, label in ticks), default=40)
        left.setWidth(widest + 18)
        span = max([abs(v) for v in (*lows, *highs)] + [0.1])
        self.plot.setXRange(-span * 1.1, span * 1.1, padding=0)
        self.plot.setYRange(-0.6, max(n - 0.4, 0.6), padding=0)
        self.plot.setFixedHeight(max(220, 36 * n + 90))
        self.axis_title("bottom", unit_note)
        self.legend.setText(legend_html([("単回帰（その要因だけを見た関連）", SINGLE_COLOR),
                                         ("ダブルLASSO（ほかの要因を調整した関連）",
                                          ADJUSTED_COLOR)]))
