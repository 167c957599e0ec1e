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

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from ui.school_karte.wording import look

TILE_WIDTH = 250
TILE_PLOT_HEIGHT = 120


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


class MiniChart(QWidget):
    """A tile's chart, painted directly: a plot widget per tile costs about 60 ms of the GUI
    thread, which for 18 schools would freeze the page for a second at every choice."""

    LEFT, BOTTOM, TOP = 30, 20, 6

    def __init__(self, points: Sequence[TilePoint], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points = tuple(points)
        self.setFixedHeight(TILE_PLOT_HEIGHT)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def _y(self, value: float) -> float:
        height = self.height() - self.BOTTOM - self.TOP
        return self.TOP + height * (1.0 - value / 100.0)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 2, 7))
        painter.setFont(font)
        left, right = self.LEFT, self.width() - 6
        bottom = self.height() - self.BOTTOM
        painter.setPen(QPen(QColor("#e5e7eb"), 1))
        for value in (0, 50, 100):
            y = self._y(value)
            painter.drawLine(QPointF(left, y), QPointF(right, y))
            painter.setPen(QColor("#4b5563"))
            painter.drawText(QRectF(0, y - 8, left - 4, 16),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                             str(value))
            painter.setPen(QPen(QColor("#e5e7eb"), 1))
        painter.setPen(QPen(QColor("#9ca3af"), 1))
        painter.drawLine(QPointF(left, self.TOP), QPointF(left, bottom))
        count = max(len(self.points), 1)
        step = (right - left) / count
        city_pen = QPen(QColor("#374151"), 1.6, Qt.PenStyle.DashLine)
        for i, p in enumerate(self.points):
            x = left + step * (i + 0.5)
            painter.setPen(QColor("#4b5563"))
            painter.drawText(QRectF(x - step / 2, bottom + 2, step, self.BOTTOM - 2),
                             int(Qt.AlignmentFlag.AlignCenter), p.label)
            if p.city is not None:  # the city's value: a dash across the round
                painter.setPen(city_pen)
                y = self._y(p.city)
                painter.drawLine(QPointF(x - step * 0.36, y), QPointF(x + step * 0.36, y))
            if p.value is None:
                continue
            state = look(p.state)
            color = QColor(state.fg)
            if p.low is not None and p.high is not None:
                painter.setPen(QPen(color, 1.6))
                painter.drawLine(QPointF(x, self._y(p.low)), QPointF(x, self._y(p.high)))
            painter.setPen(QPen(color, 1.5))
            painter.setBrush(QColor("white") if p.state == "uncertain" else color)
            painter.drawPath(marker(p.state, x, self._y(p.value)))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.end()


def marker(state: str, x: float, y: float, size: float = 5.5) -> QPainterPath:
    """▲ above, ▼ below, ○/● otherwise (the shape carries the state without colour)."""
    path = QPainterPath()
    if state in ("above", "below"):
        tip = -size if state == "above" else size
        path.moveTo(x, y + tip)
        path.lineTo(x - size, y - tip)
        path.lineTo(x + size, y - tip)
        path.closeSubpath()
    else:
        path.addEllipse(QPointF(x, y), size * 0.85, size * 0.85)
    return path


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
        self.plot = MiniChart(data.points)
        layout.addWidget(self.plot)
        latest = next((p for p in reversed(data.points) if p.value is not None), None)
        if latest is not None and latest.value is not None:
            state = look(latest.state)
            city = "" if latest.city is None else f"（市 {latest.city:.1f}%）"
            self.latest = QLabel(f"{latest.label} {latest.value:.1f}%{city}<br>"
                                 f"<span style='color:{state.fg}'>{state.mark} {state.words}"
                                 "</span>")
            self.latest.setTextFormat(Qt.TextFormat.RichText)
            layout.addWidget(self.latest)
        notes = [f"{p.label}: 少人数の集団を守るため表示しません" for p in data.points
                 if p.state == "suppressed"]
        if not data.points or all(p.state == "none" and p.value is None for p in data.points):
            notes = ["この集団の回答はありません"]
        self.note = QLabel("　".join(notes), self)  # parented before setVisible: not a window
        self.note.setStyleSheet("color: #6b7280;")
        self.note.setVisible(bool(notes))
        layout.addWidget(self.note)
        self.counts = QLabel(data.counts, self)
        self.counts.setWordWrap(True)
        self.counts.setVisible(bool(data.counts))
        layout.addWidget(self.counts)
        layout.addStretch(1)
        self.setMinimumHeight(TILE_PLOT_HEIGHT + 84)  # tiles of a row line up

    def describe(self) -> str:
        parts = []
        for p in self.data.points:
            if p.value is None:
                parts.append(f"{p.label} {look(p.state).words}")
            else:
                parts.append(f"{p.label} {p.value:.1f}%（{look(p.state).words}）")
        return "、".join(parts)

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
        rows = (len(self.tiles) + columns - 1) // columns
        for row in range(self.grid.rowCount()):
            self.grid.setRowStretch(row, 1 if row == rows else 0)
        self.grid.setRowStretch(rows, 1)  # spare height below the tiles, not between them

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._lay_out()
