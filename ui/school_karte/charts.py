"""The school karte's growth charts (pyqtgraph, bundled font): the funnel plot, the caterpillar
plot and the quadrant 学力レベル × 伸ばした児童生徒の割合.

Every school is drawn in the same neutral colour and named by its short name; a school of
interest (the one whose karte is open) is drawn larger with a ring, never in a judging
colour. The caterpillar lists schools in school-code order (top to bottom), never by their
estimate. Each chart has its legend as Qt text under the plot and a sentence on how to read it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

from ui.charts import PlainAxis, TitledPlot

SCHOOL_COLOR = "#4a6fa5"
FOCUS_COLOR = "#111827"
CITY_COLOR = "#6b7280"
LIMIT95_COLOR = "#4b5563"
LIMIT998_COLOR = "#9ca3af"


class NumberAxis(pg.AxisItem):  # type: ignore[misc]
    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        digits = 0 if spacing >= 1 else 1 if spacing >= 0.1 else 2
        return [f"{v * scale:.{digits}f}" for v in values]


class PercentAxis(pg.AxisItem):  # type: ignore[misc]
    """Values given in percent (0–100)."""

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        return [f"{v * scale:.0f}%" for v in values]


def swatch(color: str, mark: str = "■") -> str:
    return f'<span style="color:{color}; font-size:13pt;">{mark}</span>'


class Chart(TitledPlot):
    """A school-karte chart: the shared titled plot, with labels placed on it."""

    def label_at(self, text: str, x: float, y: float, *, bold: bool = False,
                 anchor: tuple[float, float] = (0.0, 1.0), color: str = "#1f2937") -> None:
        item = pg.TextItem(text, color=color, anchor=anchor)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 1, 7))
        font.setBold(bold)
        item.setFont(font)
        item.setPos(x, y)
        self.plot.addItem(item)


@dataclass(frozen=True)
class SchoolPoint:
    """One school in a chart: its short name, position and (optionally) its interval."""

    code: str
    name: str
    x: float
    y: float
    lo: float | None = None
    hi: float | None = None


@dataclass(frozen=True)
class FunnelLimits:
    """The funnel's limits around the centre, as curves over n."""

    n: tuple[float, ...]
    lo95: tuple[float, ...]
    hi95: tuple[float, ...]
    lo998: tuple[float, ...]
    hi998: tuple[float, ...]
    centre: float = 0.0


class FunnelPlot(Chart):
    """Each school's growth against its number of pupils, inside the 95% and 99.8% limits
    that chance alone would give a school of that size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "ファネルプロット（伸びの推定値と人数）",
            "点は学校、横軸はその学校で伸びを計算できた児童生徒の数です。漏斗の形の線は、"
            "偶然だけで生じる揺れの範囲（実線 95%、点線 99.8%）で、人数が少ないほど広くなります。"
            "線の内側の学校は、市の平均との差が偶然の揺れと区別できません。",
            {"left": PlainAxis("left"), "bottom": NumberAxis("bottom")}, height=320,
            parent=parent)
        self.axis_title("bottom", "伸びを計算できた児童生徒の数（人）")
        self.axis_title("left", "伸び（市の平均との差）")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.points: list[SchoolPoint] = []

    def set_data(self, points: Sequence[SchoolPoint], limits: FunnelLimits,
                 focus: str | None = None) -> None:
        self.plot.clear()
        self.points = list(points)
        dash = pg.mkPen(LIMIT998_COLOR, width=1.4, style=Qt.PenStyle.DashLine)
        solid = pg.mkPen(LIMIT95_COLOR, width=1.4)
        for ys, pen in ((limits.lo998, dash), (limits.hi998, dash), (limits.lo95, solid),
                        (limits.hi95, solid)):
            self.plot.addItem(pg.PlotDataItem(list(limits.n), list(ys), pen=pen))
        self.plot.addItem(pg.InfiniteLine(pos=limits.centre, angle=0, pen=pg.mkPen(
            CITY_COLOR, width=1.2)))
        _draw_points(self, self.points, focus)
        xs = [p.x for p in points] + list(limits.n)
        values = [p.y for p in points]
        span = max([abs(y - limits.centre) for y in values] + [0.1])
        inner = [abs(v - limits.centre) for v in (*limits.lo95, *limits.hi95)
                 if math.isfinite(v)]
        span = max(span, min(inner, default=span))
        self.plot.setXRange(0, max(xs, default=10) * 1.05, padding=0)
        self.plot.setYRange(limits.centre - span * 1.35, limits.centre + span * 1.35, padding=0)
        self.legend.setText("　".join([
            f"{swatch(SCHOOL_COLOR, '●')} 学校", *focus_entry(focus),
            f"{swatch(LIMIT95_COLOR, '━')} 95%の範囲", f"{swatch(LIMIT998_COLOR, '┅')} 99.8%の範囲",
            f"{swatch(CITY_COLOR, '─')} 市の平均"]))


class CaterpillarPlot(Chart):
    """Each school's estimate with its 95% interval, one row per school in code order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "キャタピラープロット（学校ごとの推定値と95%区間）",
            "点が推定値、横線が95%区間です。学校は学校コードの順に並べています（推定値の順では"
            "ありません）。区間が縦の線（市の平均）をまたぐ学校は、市の平均との差がはっきりしません。",
            {"left": pg.AxisItem("left"), "bottom": PlainAxis("bottom")}, height=260,
            parent=parent)
        self.axis_title("bottom", "伸びの推定値（学力レベル、市の平均との差）")
        self.points: list[SchoolPoint] = []

    def set_data(self, points: Sequence[SchoolPoint], focus: str | None = None,
                 centre: float = 0.0) -> None:
        """``points`` in school-code order: ``y`` is ignored (rows go top to bottom)."""
        self.plot.clear()
        self.points = list(points)
        n = len(points)
        ticks = []
        extent = [0.1]
        for i, p in enumerate(points):
            row = float(n - 1 - i)
            ticks.append((row, p.name))
            focused = p.code == focus
            color = FOCUS_COLOR if focused else SCHOOL_COLOR
            if p.lo is not None and p.hi is not None:
                self.plot.addItem(pg.PlotDataItem([p.lo, p.hi], [row, row], pen=pg.mkPen(
                    color, width=3.2 if focused else 2.2)))
                extent += [abs(p.lo - centre), abs(p.hi - centre)]
            extent.append(abs(p.x - centre))
            self.plot.addItem(pg.ScatterPlotItem(
                [p.x], [row], size=13 if focused else 9, symbol="o",
                brush=pg.mkBrush("white" if focused else color),
                pen=pg.mkPen(color, width=2.5 if focused else 1)))
        self.plot.addItem(pg.InfiniteLine(pos=centre, angle=90, pen=pg.mkPen(
            CITY_COLOR, width=1.2, style=Qt.PenStyle.DashLine)))
        left = self.plot.getAxis("left")
        left.setTicks([ticks])
        widest = max((self.metrics.horizontalAdvance(t) for _y, t in ticks), default=40)
        left.setWidth(widest + 18)
        span = max(extent) * 1.15
        self.plot.setXRange(centre - span, centre + span, padding=0)
        self.plot.setYRange(-0.7, max(n - 0.3, 0.7), padding=0)
        self.plot.setMinimumHeight(max(220, 26 * n + 80))
        self.legend.setText("　".join([
            f"{swatch(SCHOOL_COLOR, '●')} 推定値と95%区間", *focus_entry(focus),
            f"{swatch(CITY_COLOR, '┆')} 市の平均"]))


class QuadrantPlot(Chart):
    """The Saitama survey's view: the level of the pupils against the share who improved,
    divided at the city's values into four fields that describe, not grade."""

    FIELDS = ("学力レベル 市より高い\n伸ばした割合 市より高い",
              "学力レベル 市より低い\n伸ばした割合 市より高い",
              "学力レベル 市より低い\n伸ばした割合 市より低い",
              "学力レベル 市より高い\n伸ばした割合 市より低い")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "学力レベルと伸ばした児童生徒の割合",
            "横軸は今年度の平均の学力レベル（市の同じ学年の平均との差）、縦軸は前年度より学力"
            "レベルを伸ばした児童生徒の割合です。点線は市の値です。4つの区分は特徴を表すもので、良し悪しの判定ではありません。",
            {"left": PercentAxis("left"), "bottom": PlainAxis("bottom")}, height=320,
            parent=parent)
        self.axis_title("bottom", "平均の学力レベル（市の同じ学年との差）")
        self.axis_title("left", "学力レベルを伸ばした児童生徒の割合")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.points: list[SchoolPoint] = []

    def set_data(self, points: Sequence[SchoolPoint], city_x: float, city_y: float,
                 focus: str | None = None) -> None:
        """``y`` (and its interval) in percent."""
        self.plot.clear()
        self.points = list(points)
        pen = pg.mkPen(CITY_COLOR, width=1.2, style=Qt.PenStyle.DashLine)
        self.plot.addItem(pg.InfiniteLine(pos=city_x, angle=90, pen=pen))
        self.plot.addItem(pg.InfiniteLine(pos=city_y, angle=0, pen=pen))
        for p in points:
            if p.lo is not None and p.hi is not None:
                self.plot.addItem(pg.PlotDataItem([p.x, p.x], [p.lo, p.hi], pen=pg.mkPen(
                    FOCUS_COLOR if p.code == focus else "#9fb3d1", width=1.4)))
        _draw_points(self, self.points, focus)
        xs = [p.x for p in points] + [city_x]
        ys = [v for p in points for v in (p.y, p.lo, p.hi) if v is not None] + [city_y]
        dx = max(max(abs(x - city_x) for x in xs), 0.3) * 1.3
        dy = max(max(abs(y - city_y) for y in ys), 5.0) * 1.2
        top, bottom = min(city_y + dy, 100.0), max(city_y - dy, 0.0)
        # Room for the names: right of the points and above the highest one.
        self.plot.setXRange(city_x - dx, city_x + dx * 1.3, padding=0)
        self.plot.setYRange(bottom - (top - bottom) * 0.04, top + (top - bottom) * 0.1, padding=0)
        top += (top - bottom) * 0.1
        right = city_x + dx * 1.3
        corners = ((right, top, (1.0, 0.0)), (city_x - dx, top, (0.0, 0.0)),
                   (city_x - dx, bottom, (0.0, 1.0)), (right, bottom, (1.0, 1.0)))
        for text, (x, y, anchor) in zip(self.FIELDS, corners, strict=True):
            self.label_at(text, x, y, anchor=anchor, color="#6b7280")
        with_intervals = any(p.lo is not None for p in points)
        self.legend.setText("　".join([
            f"{swatch(SCHOOL_COLOR, '●')} 学校" + ("（縦線は割合の95%区間）" if with_intervals
                                                 else ""),
            *focus_entry(focus), f"{swatch(CITY_COLOR, '┆')} 市の値"]))


def focus_entry(focus: str | None) -> list[str]:
    return [] if focus is None else [f"{swatch(FOCUS_COLOR, '◉')} 開いている学校"]


def _draw_points(chart: Chart, points: Sequence[SchoolPoint], focus: str | None) -> None:
    others = [p for p in points if p.code != focus]
    chart.plot.addItem(pg.ScatterPlotItem(
        [p.x for p in others], [p.y for p in others], size=9, symbol="o",
        brush=pg.mkBrush(SCHOOL_COLOR), pen=pg.mkPen("w", width=1)))
    for number, p in enumerate(points):
        focused = p.code == focus
        if focused:
            chart.plot.addItem(pg.ScatterPlotItem(
                [p.x], [p.y], size=14, symbol="o", brush=pg.mkBrush("white"),
                pen=pg.mkPen(FOCUS_COLOR, width=3)))
        # Above and below in turn: neighbours in code order then rarely write over each other.
        chart.label_at(p.name, p.x, p.y, bold=focused,
                       anchor=(-0.08, 1.05) if number % 2 == 0 else (-0.08, -0.05))


@dataclass(frozen=True)
class Trend:
    """One line over the school years (None: not given that year)."""

    label: str
    values: tuple[float | None, ...]


# Each line differs in colour, dash and symbol, so that it reads in grey print too.
TREND_STYLES = ((SCHOOL_COLOR, Qt.PenStyle.SolidLine, "o", "●"),
                ("#b45309", Qt.PenStyle.DashLine, "s", "■"),
                ("#374151", Qt.PenStyle.DotLine, "t1", "▲"))


class TrendChart(Chart):
    """A few quantities of the school over the school years."""

    def __init__(self, title: str, unit: str, parent: QWidget | None = None) -> None:
        super().__init__(title, "", {"left": NumberAxis("left"), "bottom": pg.AxisItem("bottom")},
                         height=200, parent=parent)
        self.note.hide()
        self.plot.setFixedHeight(230)
        self.axis_title("left", unit)
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        self.trends: list[Trend] = []

    def set_trends(self, years: Sequence[str], trends: Sequence[Trend]) -> None:
        self.plot.clear()
        self.trends = list(trends)
        legend = []
        top = 0.0
        for trend, (color, dash, symbol, mark) in zip(trends, TREND_STYLES, strict=False):
            points = [(float(x), v) for x, v in enumerate(trend.values) if v is not None]
            if not points:
                continue
            self.plot.addItem(pg.PlotDataItem(
                [p[0] for p in points], [p[1] for p in points],
                pen=pg.mkPen(color, width=2, style=dash), symbol=symbol, symbolSize=9,
                symbolBrush=color, symbolPen=pg.mkPen("w")))
            top = max(top, *(p[1] for p in points))
            legend.append(f"{swatch(color, mark)} {trend.label}")
        self.plot.getAxis("bottom").setTicks([list(enumerate(years))])
        self.plot.setXRange(-0.4, max(len(years) - 0.6, 0.4), padding=0)
        self.plot.setYRange(0, max(top * 1.15, 1.0), padding=0)
        self.legend.setText("　".join(legend))
