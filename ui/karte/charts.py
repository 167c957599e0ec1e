"""The karte's charts (pyqtgraph): one :class:`KarteChartView` per ``KarteChart`` of the
service — stacked bars, bars, lines and flags on one x axis, school years as shaded bands
named along the top, a legend in the bundled font — and the click-through: clicking (or
pressing Enter on) a point emits ``point_clicked(chart key, x key, series key)``, which the
karte answers with the records behind that point.

A plot costs about 20 ms to build and a karte has up to seven, most of them below the fold,
so each plot is built the first time it is painted (scrolled into sight) or asked for; until
then a blank area of the same height holds its place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolTip, QVBoxLayout, QWidget

from kernel.date_style import DateStyle
from kernel.school_calendar import SCHOOL_MONTHS
from toda_desktop.formatting import format_phrase, format_school_year
from toda_desktop.phrase import without_year
from ui import style
from ui.charts import CountAxis

if TYPE_CHECKING:
    from toda_desktop.karte.service import ChartSeries, KarteChart

PLOT_HEIGHT = 240
BAR_WIDTH = 0.72
SELECTED_BRUSH = (31, 95, 168, 45)
BAND_BRUSH = (40, 60, 90, 14)
LONG_ABSENCE_DAYS = 30  # the national survey's 長期欠席 threshold
COLORS = {
    "sick_days": "#4a7fc1", "accident_days": "#e8a33d", "suspension_days": "#8e7cc3",
    "other_absence": "#9aa5b1", "late_count": "#d0453e", "early_leave_count": "#2e9d6a",
    "内科": "#4a7fc1", "外科": "#e8a33d", "心因": "#8e7cc3", "その他": "#9aa5b1",
    "未記入": "#c9ced6", "absence_days": "#c8553d", "truancy": "#7a1f1f",
    "全体": "#222222", "学習": "#4a7fc1", "友人関係": "#2e9d6a", "教師関係": "#e8a33d",
    "家庭": "#8e7cc3", "生活": "#d0453e", "自己肯定感": "#1aa3b5",
    "国語": "#d0453e", "算数": "#4a7fc1", "数学": "#4a7fc1", "英語": "#2e9d6a",
    "理科": "#e8a33d", "社会": "#8e7cc3",
}
FALLBACK = ("#4a7fc1", "#e8a33d", "#2e9d6a", "#8e7cc3", "#d0453e", "#1aa3b5", "#7f6a4d")


def series_color(series: ChartSeries, number: int) -> str:
    return COLORS.get(series.key, FALLBACK[number % len(FALLBACK)])


def nice_step(span: float, ticks: int = 6) -> float:
    """A round tick spacing (1, 2, 5, 10, 20, 50 …) giving at most about ``ticks`` ticks."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = 10 * power
    for factor in (1, 2, 5):
        if factor * power >= raw:
            step = factor * power
            break
    return float(max(step, 1.0))


class _BandAxis(pg.AxisItem):  # type: ignore[misc]
    """The top axis: school-year names over their bands, no tick marks."""

    def __init__(self) -> None:
        super().__init__("top")
        self.setStyle(tickLength=0)


class _PlotPlace(QWidget):
    """Holds a plot's place until it is first painted, then asks for the plot."""

    def __init__(self, painted: Callable[[], None]) -> None:
        super().__init__()
        self._painted = painted
        self.setFixedHeight(PLOT_HEIGHT)

    def paintEvent(self, event: QPaintEvent) -> None:
        # Not built here: changing the layout while painting is not allowed. (With this
        # place as context, a call still pending when the karte closes is dropped.)
        QTimer.singleShot(0, self, self._painted)
        super().paintEvent(event)


class KarteChartView(QWidget):
    """One chart of the karte, clickable point by point; its plot is built when first
    painted or asked for (:attr:`plot`)."""

    point_clicked = Signal(str, str, object)  # chart key, x key, series key (or None)

    def __init__(self, chart: KarteChart, date_style: DateStyle,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart = chart
        self._style = date_style
        self.selected: int | None = None
        self._selection_item: Any = None
        self._stack_tops: list[float] = [0.0] * len(chart.x)
        self._bottoms: dict[str, list[float]] = {}
        self._shifts: dict[str, float] = {}
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(self.title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        title_row = QHBoxLayout()
        self.title_label = QLabel(self.title)
        self.title_label.setStyleSheet("font-size: 11pt; font-weight: bold;")
        title_row.addWidget(self.title_label)
        title_row.addStretch(1)
        unit = QLabel(f"単位: {chart.unit}" if chart.unit else "")
        unit.setStyleSheet(style.MUTED)
        title_row.addWidget(unit)
        layout.addLayout(title_row)
        self.has_records = any(v is not None for s in chart.series for v in s.values)
        self._plot: pg.PlotWidget | None = None
        self._place: _PlotPlace | None = None
        if not self.has_records:
            self.empty_label = QLabel(self.empty_text())
            self.empty_label.setStyleSheet(
                f"{style.MUTED} background: #f6f8fa; border: 1px dashed #d0d7de;"
                " border-radius: 4px; padding: 18px;")
            self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(self.empty_label)
            self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            return
        layout.addLayout(self._legend())
        self._place = _PlotPlace(self._ensure_plot)
        layout.addWidget(self._place)
        if not chart.has_data:
            note = QLabel(self.all_zero_text())
            note.setStyleSheet(style.MUTED)
            layout.addWidget(note)

    @property
    def plot(self) -> pg.PlotWidget | None:
        """The plot (built now if it was not yet); None for a chart without records."""
        self._ensure_plot()
        return self._plot

    @property
    def plot_built(self) -> bool:
        return self._plot is not None

    def _ensure_plot(self) -> None:
        place = self._place
        if place is None:
            return
        self._place = None
        self._plot = self._build_plot()
        layout = self.layout()
        assert layout is not None
        layout.replaceWidget(place, self._plot)
        place.deleteLater()
        self._plot.show()

    # -- text ------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.chart.title

    def empty_text(self) -> str:
        return f"{self.chart.name}の記録はありません。"

    def all_zero_text(self) -> str:
        """Months that were recorded and were all 0 (no visit) differ from months with no
        record; both say so in words, not only an empty plot."""
        return f"この期間の{self.chart.name}はありません（記録のある月はすべて0です）。"

    def x_label(self, index: int, *, with_year: bool = True) -> str:
        label = self.chart.x_labels[index]
        text = format_phrase(label, self._style)
        if with_year and not self._one_point_per_year():
            year = self._year_of(index)
            if year:
                text = f"{year} {format_phrase(without_year(label), self._style)}"
        return text

    def _year_of(self, index: int) -> str:
        chart = self.chart
        text = ""
        for start, year in zip(chart.year_starts, chart.years, strict=False):
            if start <= index:
                text = format_school_year(year, self._style)
        return text

    def _one_point_per_year(self) -> bool:
        return len(self.chart.year_starts) == len(self.chart.x)

    def describe_point(self, index: int, series_key: str | None) -> str:
        """「令和6年度 6月　病気欠席 2日」 for a tooltip and the accessible description."""
        parts = [self.x_label(index)]
        for s in self.chart.series:
            if series_key is not None and s.key != series_key:
                continue
            value = s.values[index]
            if value is None:
                continue
            if s.style == "flag":
                if value:
                    parts.append(s.label)
                continue
            unit = self.chart.unit.split("・")[0] if s.style == "stack" else self.chart.unit
            if s.key in ("late_count", "early_leave_count"):
                unit = "回"
            parts.append(f"{s.label} {value:g}{unit}")
        return "　".join(parts)

    # -- drawing ---------------------------------------------------------------------------

    def _legend(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        for number, s in enumerate(self.chart.series):
            if all(v is None for v in s.values) and s.style != "stack":
                continue
            swatch = QLabel()
            color = series_color(s, number)
            if s.style in ("line",):
                swatch.setFixedSize(16, 4)
            elif s.style == "flag":
                swatch.setFixedSize(9, 9)
            else:
                swatch.setFixedSize(12, 12)
            swatch.setStyleSheet(f"background: {color}; border-radius: 1px;")
            row.addWidget(swatch, 0, Qt.AlignmentFlag.AlignVCenter)
            text = QLabel(s.label if s.style != "flag" else f"{s.label}（該当月）")
            row.addWidget(text)
            row.addSpacing(10)
        if self.chart.key == "long_absence":
            line = QLabel()
            line.setFixedSize(16, 2)
            line.setStyleSheet("background: #b3261e;")
            row.addWidget(line, 0, Qt.AlignmentFlag.AlignVCenter)
            row.addWidget(QLabel(f"{LONG_ABSENCE_DAYS}日（長期欠席の目安）"))
        row.addStretch(1)
        return row

    def _y_range(self) -> tuple[float, float]:
        chart = self.chart
        if chart.y_range is not None:
            return chart.y_range
        top = 0.0
        stacked = [0.0] * len(chart.x)
        for s in chart.series:
            for i, v in enumerate(s.values):
                if v is None or s.style == "flag":
                    continue
                if s.style == "stack":
                    stacked[i] += v
                else:
                    top = max(top, v)
        top = max(top, *stacked, 0.0)
        if chart.key == "long_absence":
            top = max(top, LONG_ABSENCE_DAYS * 1.2)
        top = max(top * 1.12, 4.0)
        step = nice_step(top)
        return 0.0, math.ceil(top / step) * step

    def _build_plot(self) -> pg.PlotWidget:
        chart = self.chart
        n = len(chart.x)
        font = QFont(self.font())
        metrics = QFontMetrics(font)
        plot = pg.PlotWidget(axisItems={"left": CountAxis("left"), "top": _BandAxis()})
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.showGrid(x=False, y=True, alpha=0.2)
        plot.setFixedHeight(PLOT_HEIGHT)
        plot.setAccessibleName(self.title)
        plot.setToolTip("")
        item = plot.getPlotItem()
        item.showAxis("top")
        for name in ("left", "bottom", "top"):
            axis = plot.getAxis(name)
            axis.setStyle(tickFont=font, tickTextOffset=5)
            axis.enableAutoSIPrefix(False)
        plot.getAxis("bottom").setHeight(metrics.height() + 14)
        plot.getAxis("top").setHeight(metrics.height() + 8)
        plot.getAxis("left").setWidth(metrics.horizontalAdvance("1,000") + 14)
        y0, y1 = self._y_range()
        step = nice_step(y1 - y0)
        left = plot.getAxis("left")
        pad = 0.0
        if chart.y_range is not None:  # a bounded scale (%, levels): its ends stay visible
            pad = (y1 - y0) * 0.05
            first = math.ceil(y0 / step) * step
            ticks = []
            value = first
            while value <= y1 + 1e-9:
                ticks.append((value, f"{value:g}"))
                value += step
            left.setTicks([ticks])
        else:
            left.setTickSpacing(step, step)
        self._draw_years(plot, n, y1)
        self._draw_series(plot)
        if chart.key == "long_absence":
            plot.addItem(pg.InfiniteLine(pos=LONG_ABSENCE_DAYS, angle=0, pen=pg.mkPen(
                "#b3261e", width=1.5, style=Qt.PenStyle.DashLine)))
        plot.getAxis("bottom").setTicks(self._x_ticks())
        plot.setXRange(-0.6, max(n - 0.4, 0.6), padding=0)
        plot.setYRange(y0 - pad, y1 + pad, padding=0)
        plot.scene().sigMouseClicked.connect(self._scene_clicked)
        plot.scene().sigMouseMoved.connect(self._scene_moved)
        plot.setCursor(Qt.CursorShape.PointingHandCursor)
        return plot

    def _x_ticks(self) -> list[list[tuple[float, str]]]:
        chart = self.chart
        n = len(chart.x)
        monthly = chart.key in ("attendance", "health_room", "long_absence")
        labels = [format_phrase(without_year(t), self._style) if not
                  self._one_point_per_year() else format_phrase(t, self._style)
                  for t in chart.x_labels]
        if not monthly:
            return [[(float(i), labels[i]) for i in range(n)]]
        every = {1: SCHOOL_MONTHS, 2: (4, 6, 8, 10, 12, 2),
                 3: (4, 7, 10, 1)}[1 if n <= 12 else 2 if n <= 24 else 3]
        major = [(float(i), labels[i]) for i, x in enumerate(chart.x)
                 if int(x.split("-")[1]) in every]
        minor = [(float(i), "") for i in range(n)]
        return [major, minor]

    def _draw_years(self, plot: pg.PlotWidget, n: int, top: float) -> None:
        chart = self.chart
        starts = list(chart.year_starts)
        ticks = []
        for number, start in enumerate(starts):
            end = starts[number + 1] if number + 1 < len(starts) else n
            label = format_school_year(chart.years[number], self._style)
            if not self._one_point_per_year():
                ticks.append(((start + end - 1) / 2, label))
                if number % 2 == 1:
                    band = pg.LinearRegionItem((start - 0.5, end - 0.5), movable=False,
                                               brush=pg.mkBrush(*BAND_BRUSH),
                                               pen=pg.mkPen(None))
                    band.setZValue(-20)
                    for line in band.lines:
                        line.setPen(pg.mkPen(None))
                    plot.addItem(band)
                if number > 0:
                    plot.addItem(pg.InfiniteLine(pos=start - 0.5, angle=90, pen=pg.mkPen(
                        "#8a94a3", width=1, style=Qt.PenStyle.DashLine)))
        plot.getAxis("top").setTicks([ticks])
        if not ticks:
            plot.getAxis("top").setHeight(6)

    def _draw_series(self, plot: pg.PlotWidget) -> None:
        chart = self.chart
        n = len(chart.x)
        positions = [float(i) for i in range(n)]
        bottoms = [0.0] * n
        for number, s in enumerate(chart.series):
            color = series_color(s, number)
            if s.style == "stack":
                heights = [v or 0.0 for v in s.values]
                self._bottoms[s.key] = list(bottoms)
                bars = pg.BarGraphItem(x=positions, height=heights, y0=list(bottoms),
                                       width=BAR_WIDTH, brush=color,
                                       pen=pg.mkPen("w", width=0.6))
                plot.addItem(bars)
                bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
            elif s.style == "bar":
                heights = [v or 0.0 for v in s.values]
                self._bottoms[s.key] = [0.0] * n
                plot.addItem(pg.BarGraphItem(x=positions, height=heights, width=BAR_WIDTH,
                                             brush=color, pen=pg.mkPen("w", width=0.6)))
                bottoms = [max(b, h) for b, h in zip(bottoms, heights, strict=True)]
        self._stack_tops = bottoms
        lines = [s.key for s in chart.series if s.style == "line"]
        dodge = chart.key != "attendance" and len(lines) > 1
        for number, s in enumerate(chart.series):
            color = series_color(s, number)
            if s.style == "line":
                # Several lines over few points often meet (every domain at 100%): shift
                # each a little sideways so that every one stays visible and clickable.
                shift = (lines.index(s.key) - (len(lines) - 1) / 2) * 0.05 if dodge else 0.0
                self._shifts[s.key] = shift
                positions = [float(i) + shift for i in range(n)]
                # Counts of events (遅刻, 早退) show only where they happened.
                events = chart.key == "attendance"
                ys = [math.nan if v is None or (events and v == 0) else v for v in s.values]
                if all(math.isnan(y) for y in ys):
                    continue
                width = 3 if s.key == "全体" else 2
                plot.addItem(pg.PlotDataItem(
                    x=positions, y=ys, connect="finite",
                    pen=pg.mkPen(color, width=width), symbol="o", symbolSize=9,
                    symbolBrush=color, symbolPen=pg.mkPen("w", width=1)))
                if chart.key == "academic":  # few points: write the level beside each
                    for x, y in zip(positions, ys, strict=True):
                        if not math.isnan(y):
                            label = pg.TextItem(f"{s.label} {y:g}", color=color,
                                                anchor=(-0.08, 0.5))
                            label.setFont(self.font())
                            label.setPos(x, y)
                            plot.addItem(label)
            elif s.style == "flag":
                xs = [float(i) for i, v in enumerate(s.values) if v]
                ys = [self._stack_tops[int(x)] for x in xs]
                if xs:
                    plot.addItem(pg.ScatterPlotItem(
                        x=xs, y=ys, symbol="t1", size=9, brush=pg.mkBrush(color),
                        pen=pg.mkPen("w", width=0.5)))

    # -- the click-through -----------------------------------------------------------------

    def point_at(self, x: float, y: float) -> tuple[int, str | None] | None:
        """The point under data coordinates (x, y): (x index, series key or None)."""
        self._ensure_plot()  # the bars' bottoms and the lines' shifts come with the plot
        chart = self.chart
        index = round(x)
        if not 0 <= index < len(chart.x) or abs(x - index) > 0.5:
            return None
        present = [s for s in chart.series if s.values[index] is not None]
        if not present:
            return None
        y0, y1 = self._y_range()
        span = max(y1 - y0, 1e-9)
        lines = []
        for s in present:
            if s.style == "line":
                dy = abs((s.values[index] or 0.0) - y) / span
                dx = abs(x - index - self._shifts.get(s.key, 0.0))
                lines.append((dy + dx, dy, s.key))
        near = min(lines, default=None)
        if near is not None and near[1] <= 0.06:
            return index, near[2]
        for s in present:
            if s.style in ("stack", "bar") and s.values[index]:
                bottom = self._bottoms.get(s.key, [0.0] * len(chart.x))[index]
                if bottom <= y <= bottom + (s.values[index] or 0.0):
                    return index, s.key
        if near is not None and not any(s.style in ("stack", "bar") for s in present):
            return index, near[2]
        return index, None

    def click_at(self, x: float, y: float) -> bool:
        """The plot's point-click handler (data coordinates); True if a point was hit."""
        hit = self.point_at(x, y)
        if hit is None:
            return False
        self.choose(*hit)
        return True

    def choose(self, index: int, series_key: str | None = None) -> None:
        """Select the point at ``index`` and ask for its records."""
        self._select(index)
        self.point_clicked.emit(self.chart.key, self.chart.x[index], series_key)

    def _select(self, index: int) -> None:
        self.selected = index
        if self.plot is None:
            return
        if self._selection_item is not None:
            self.plot.removeItem(self._selection_item)
        y0, y1 = self._y_range()
        item = pg.BarGraphItem(x=[float(index)], height=[y1 - y0], y0=[y0], width=0.96,
                               brush=pg.mkBrush(*SELECTED_BRUSH), pen=pg.mkPen(style.ACCENT))
        item.setZValue(-10)
        self.plot.addItem(item)
        self._selection_item = item

    def _view_point(self, scene_pos: QPointF) -> QPointF | None:
        if self.plot is None:
            return None
        box = self.plot.getPlotItem().vb
        if not box.sceneBoundingRect().contains(scene_pos):
            return None
        point: QPointF = box.mapSceneToView(scene_pos)
        return point

    def _scene_clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self._view_point(event.scenePos())
        if point is not None and self.click_at(point.x(), point.y()):
            event.accept()
            self.setFocus()

    def _scene_moved(self, scene_pos: QPointF) -> None:
        point = self._view_point(scene_pos)
        hit = None if point is None else self.point_at(point.x(), point.y())
        if self.plot is None:
            return
        if hit is None:
            QToolTip.hideText()
            return
        text = self.describe_point(*hit) + "\nクリックすると元の記録を表示します"
        global_pos = self.plot.mapToGlobal(self.plot.mapFromScene(scene_pos))
        QToolTip.showText(global_pos, text, self.plot)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """←/→ move between points that have records, Enter shows their records."""
        if self.plot is None:
            super().keyPressEvent(event)
            return
        key = event.key()
        points = [i for i in range(len(self.chart.x))
                  if any(s.values[i] is not None for s in self.chart.series)]
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and points:
            current = self.selected
            if current is None:
                target = points[-1] if key == Qt.Key.Key_Left else points[0]
            elif key == Qt.Key.Key_Left:
                target = max((p for p in points if p < current), default=current)
            else:
                target = min((p for p in points if p > current), default=current)
            self._select(target)
            self.plot.setToolTip(self.describe_point(target, None))
            self.setAccessibleDescription(self.describe_point(target, None))
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected is not None:
            self.choose(self.selected)
            return
        super().keyPressEvent(event)
