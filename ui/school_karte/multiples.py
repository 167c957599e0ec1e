"""Small multiples: one tile per school (or grade, or class) with the same small chart, in
the order given (school code, then grade, then class — never a score).

A tile shows the group's value per round with its 95% interval against the city's value (a
dashed line), each point marked by its state (▲ 市より高い, ▼ 市より低い, ○ 差は不確か, ● 市と
同程度; a suppressed round is left out and said so), and a line of counts under it (the
push-support counts). Clicking a tile, or pressing Enter on it, opens it (drill-down).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from ui.school_karte.wording import look

TILE_WIDTH = 250
TILE_PLOT_HEIGHT = 120
SYMBOLS = {"above": "t1", "below": "t", "uncertain": "o", "within": "o", "none": "o"}


@dataclass(frozen=True)
class TilePoint:
    """One round of a tile: percent values; ``state`` as in the grid."""

    label: str
    state: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    city: float | None = None


@dataclass(frozen=True)
class TileData:
    key: str
    title: str
    subtitle: str
    points: tuple[TilePoint, ...]
    counts: str = ""
    can_open: bool = True


class Tile(QFrame):
    """One group's small chart; ``opened(key)`` when clicked."""

    opened = Signal(str)

    def __init__(self, data: TileData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.setObjectName("schoolTile")
        self.setStyleSheet("QFrame#schoolTile { background: white; border: 1px solid #d0d7de;"
                           " border-radius: 6px; } QFrame#schoolTile:focus { border: 2px solid"
                           " #1f5fa8; }")
        self.setFixedWidth(TILE_WIDTH)
        if data.can_open:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            self.setToolTip(f"{data.title}を開く")
        self.setAccessibleName(data.title)
        self.setAccessibleDescription(self.describe())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        title = QLabel(f"<b>{data.title}</b>　<span style='color:#5f6b7a'>{data.subtitle}</span>")
        title.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(title)
        self.plot = self._plot()
        layout.addWidget(self.plot)
        notes = [f"{p.label}: 10人未満のため表示しません" for p in data.points
                 if p.state == "suppressed"]
        if not data.points or all(p.state == "none" and p.value is None for p in data.points):
            notes = ["この集団の回答はありません"]
        self.note = QLabel("　".join(notes))
        self.note.setStyleSheet("color: #6b7280;")
        self.note.setVisible(bool(notes))
        layout.addWidget(self.note)
        self.counts = QLabel(data.counts)
        self.counts.setWordWrap(True)
        self.counts.setVisible(bool(data.counts))
        layout.addWidget(self.counts)
        layout.addStretch(1)
        self.setMinimumHeight(TILE_PLOT_HEIGHT + 100)  # tiles of a row line up

    def describe(self) -> str:
        parts = []
        for p in self.data.points:
            if p.value is None:
                parts.append(f"{p.label} {look(p.state).words}")
            else:
                parts.append(f"{p.label} {p.value:.1f}%（{look(p.state).words}）")
        return "、".join(parts)

    def _plot(self) -> pg.PlotWidget:
        plot = pg.PlotWidget()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setFixedHeight(TILE_PLOT_HEIGHT)
        plot.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 2, 7))
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setStyle(tickFont=font, tickTextOffset=3)
        plot.getAxis("left").setWidth(30)
        plot.getAxis("bottom").setHeight(22)
        points = self.data.points
        xs = list(range(len(points)))
        city_pen = pg.mkPen("#374151", width=1.6, style=Qt.PenStyle.DashLine)
        city = [(x, p.city) for x, p in zip(xs, points, strict=True) if p.city is not None]
        if len(city) > 1:
            plot.addItem(pg.PlotDataItem([c[0] for c in city], [c[1] for c in city],
                                         pen=city_pen))
        for x, value in city:  # a short dash at each round, also when there is one round
            plot.addItem(pg.PlotDataItem([x - 0.32, x + 0.32], [value, value], pen=city_pen))
        for x, p in zip(xs, points, strict=True):
            if p.value is None:
                continue
            state = look(p.state)
            if p.low is not None and p.high is not None:
                plot.addItem(pg.PlotDataItem([x, x], [p.low, p.high], pen=pg.mkPen(
                    state.fg, width=1.6)))
            filled = p.state != "uncertain"
            plot.addItem(pg.ScatterPlotItem(
                [x], [p.value], size=10, symbol=SYMBOLS.get(p.state, "o"),
                brush=pg.mkBrush(state.fg if filled else "white"), pen=pg.mkPen(state.fg,
                                                                                width=1.5)))
        plot.getAxis("bottom").setTicks([[(float(x), p.label) for x, p in zip(
            xs, points, strict=True)]])
        plot.getAxis("left").setTicks([[(v, str(v)) for v in (0, 50, 100)]])
        plot.setXRange(-0.5, max(len(points) - 0.5, 0.5), padding=0)
        plot.setYRange(0, 100, padding=0.04)
        return plot

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.data.can_open and event.button() == Qt.MouseButton.LeftButton:
            self.opened.emit(self.data.key)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.data.can_open and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter,
                                                  Qt.Key.Key_Space):
            self.opened.emit(self.data.key)
            return
        super().keyPressEvent(event)


class Multiples(QWidget):
    """Tiles in a grid, as many per row as fit; their order is the order given."""

    opened = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(10)
        self.tiles: list[Tile] = []
        self._columns = 0

    def set_tiles(self, tiles: Sequence[TileData]) -> None:
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles = []
        for data in tiles:
            tile = Tile(data, self)
            tile.opened.connect(self.opened)
            self.tiles.append(tile)
        self._columns = 0
        self._lay_out()

    def _fitting_columns(self) -> int:
        return max(1, (self.width() + self.grid.spacing()) // (TILE_WIDTH + self.grid.spacing()))

    def _lay_out(self) -> None:
        columns = self._fitting_columns()
        if columns == self._columns and all(self.grid.indexOf(t) >= 0 for t in self.tiles):
            return
        self._columns = columns
        for tile in self.tiles:
            self.grid.removeWidget(tile)
        for i, tile in enumerate(self.tiles):
            self.grid.addWidget(tile, i // columns, i % columns,
                                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        for column in range(columns + 2):
            self.grid.setColumnStretch(column, 1 if column == columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._lay_out()
