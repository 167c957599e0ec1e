"""The palm-vein step as people see it: a drawn scanner and hand, live prompts, stages.

Used by the sign-in window, the lock screen and the administrator's enrollment dialog.
The device layer reports retry guidance (``hint_key`` and ``prompt_ja``) and enrollment
progress through callbacks on the worker thread; :class:`PalmRelay` carries them to the GUI
thread as queued signals, and :func:`run_palm_operation` runs one blocking palm call through
the :class:`BackgroundRunner` with the view kept up to date. The picture is drawn with
QPainter (no image files): the hand moves from the wrong placement to the right one for each
guidance, and the sensor light pulses gently while the scanner waits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QHideEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QShowEvent,
    QTransform,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ui import style
from ui.background import BackgroundOp, BackgroundRunner, TaskContext

T = TypeVar("T")

WAITING_PROMPT = "スキャナの上に手のひらをかざしてください。"
WAITING_DETAIL = "指を軽く開き、手のひらをスキャナと平行にして、少し浮かせてください。"
CANCELLED_TEXT = "読み取りを中止しました。"

# Short captions drawn on the picture for each guidance (the full sentence is beside it).
HINT_CAPTIONS = {
    "too_far": "もう少し近づける",
    "too_close": "少し離す",
    "too_left": "右へずらす",
    "too_right": "左へずらす",
    "tilted": "平行にする",
    "moving": "動かさない",
    "low_quality": "指を軽く開く",
    "lift_hand": "一度手を離す",
}
ANIMATION_MS = 40
LOOP_MS = 2200

SKIN = QColor("#f1c7a1")
SKIN_EDGE = QColor("#a8764f")
SCANNER_BODY = QColor("#3d4856")
SENSOR_WINDOW = QColor("#1b2430")
SENSOR_COLORS = {
    "waiting": QColor("#49b6f0"),
    "guidance": QColor("#f0a500"),
    "success": QColor("#2e9d4a"),
    "error": QColor("#d0392f"),
    "idle": QColor("#6b7785"),
}
ARROW_COLOR = QColor(style.ACCENT)


class GuidanceLike(Protocol):
    """What the UI needs of a device guidance (``devices.Guidance``)."""

    @property
    def hint_key(self) -> str: ...

    @property
    def prompt_ja(self) -> str: ...


class ProgressLike(Protocol):
    """What the UI needs of enrollment progress (``devices.EnrollProgress``)."""

    @property
    def stage(self) -> int: ...

    @property
    def stages(self) -> int: ...

    @property
    def message_ja(self) -> str: ...


def _ease(t: float) -> float:
    """Smooth 0→1 (ease in-out)."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def _rounded(rect: QRectF, radius: float, transform: QTransform | None = None) -> QPainterPath:
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    path.addRoundedRect(rect, radius, radius)
    return transform.map(path) if transform is not None else path


def _hand_path(spread: float) -> QPainterPath:
    """A right hand seen from above, palm down over the scanner, in units of the scanner
    size, centred on the palm; ``spread`` (0..1) opens the fingers."""
    hand = _rounded(QRectF(-0.22, -0.17, 0.44, 0.46), 0.12)
    hand = hand.united(_rounded(QRectF(-0.16, 0.2, 0.32, 0.34), 0.05))  # wrist
    fingers = ((-0.165, 0.27, -9.0), (-0.055, 0.33, -3.0), (0.055, 0.31, 3.0), (0.16, 0.25, 9.0))
    for x, length, angle in fingers:
        turn = QTransform()
        turn.translate(x, -0.13)
        turn.rotate(angle * (0.35 + spread))
        hand = hand.united(_rounded(QRectF(-0.045, -length, 0.09, length + 0.04), 0.045, turn))
    turn = QTransform()
    turn.translate(-0.2, 0.1)
    turn.rotate(-48.0 - 12.0 * spread)
    hand = hand.united(_rounded(QRectF(-0.05, -0.27, 0.1, 0.3), 0.05, turn))
    return hand.simplified()


class PalmIllustration(QWidget):
    """A scanner and a hand drawn with QPainter, animated per guidance ``hint_key``.

    ``state`` is ``idle`` (nothing running), ``waiting`` (scanner waits: the light pulses),
    ``guidance`` (the hand shows the correction for :attr:`hint`), ``success`` or ``error``.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(200, 200)
        self.setAccessibleName("手のひらのかざし方の図")
        self.state = "idle"
        self.hint: str | None = None
        self.success_caption = "確認できました"
        self._phase_ms = 0
        self._timer = QTimer(self)
        self._timer.setInterval(ANIMATION_MS)
        self._timer.timeout.connect(self._tick)
        self._hand_cache: dict[int, QPainterPath] = {}

    def set_state(self, state: str, hint: str | None = None) -> None:
        if state not in SENSOR_COLORS:
            raise ValueError(f"unknown state {state!r}")
        if (state, hint) != (self.state, self.hint):
            self._phase_ms = 0
        self.state, self.hint = state, hint
        self._update_timer()
        self.update()

    @property
    def animating(self) -> bool:
        return self._timer.isActive()

    def caption(self) -> str:
        if self.state == "guidance" and self.hint is not None:
            return HINT_CAPTIONS.get(self.hint, "")
        if self.state == "success":
            return self.success_caption
        return "かざす" if self.state == "waiting" else ""

    def _update_timer(self) -> None:
        wanted = self.isVisible() and self.state in ("waiting", "guidance")
        if wanted and not self._timer.isActive():
            self._timer.start()
        elif not wanted and self._timer.isActive():
            self._timer.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update_timer()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._update_timer()

    def _tick(self) -> None:
        self._phase_ms = (self._phase_ms + ANIMATION_MS) % (LOOP_MS * 100)
        self.update()

    # -- drawing ---------------------------------------------------------------------------

    def _pose(self) -> tuple[float, float, float, float, float, float]:
        """(dx, dy, scale, angle, alpha, spread) of the hand at the current phase."""
        t = (self._phase_ms % LOOP_MS) / LOOP_MS
        move = _ease(t / 0.6)  # 60% of the loop moving to the right place, then holding
        dx = dy = angle = 0.0
        scale, alpha, spread = 1.0, 1.0, 0.6
        hint = self.hint if self.state == "guidance" else None
        if self.state == "waiting":
            scale = 1.0 + 0.02 * math.sin(2 * math.pi * t)
        elif hint == "too_far":
            scale = 0.7 + 0.3 * move
        elif hint == "too_close":
            scale = 1.35 - 0.35 * move
        elif hint == "too_left":
            dx = -0.34 * (1 - move)
        elif hint == "too_right":
            dx = 0.34 * (1 - move)
        elif hint == "tilted":
            angle = 28.0 * (1 - move)
        elif hint == "moving":
            shake = 0.0 if t > 0.55 else math.sin(t * 60) * (0.55 - t)
            dx, angle = 0.08 * shake, 6 * shake
        elif hint == "low_quality":
            spread = 0.6 * move
        elif hint == "lift_hand":
            up = math.sin(math.pi * min(t / 0.8, 1.0))
            scale, alpha, dy = 1.0 + 0.3 * up, 1.0 - 0.75 * up, -0.05 * up
        return dx, dy, scale, angle, alpha, spread

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        caption_h = self.fontMetrics().height() + 8
        side = min(w, h - caption_h)
        cx, cy = w / 2, (h - caption_h) / 2
        size = side * 0.62  # the scanner's edge
        painter.fillRect(self.rect(), QColor("#f3f6fa"))

        # The scanner, seen from above: body, dark window, sensor light.
        body = QRectF(cx - size / 2, cy - size / 2, size, size)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(SCANNER_BODY)
        painter.drawRoundedRect(body, size * 0.12, size * 0.12)
        window = body.adjusted(size * 0.1, size * 0.1, -size * 0.1, -size * 0.1)
        painter.setBrush(SENSOR_WINDOW)
        painter.drawRoundedRect(window, size * 0.08, size * 0.08)
        light = QColor(SENSOR_COLORS[self.state])
        t = (self._phase_ms % LOOP_MS) / LOOP_MS
        pulse = 0.5 + 0.5 * math.sin(2 * math.pi * t) if self.state == "waiting" else 0.6
        glow = QColor(light)
        glow.setAlphaF(0.18 + 0.3 * pulse)
        radius = size * (0.22 + 0.06 * pulse)
        painter.setBrush(glow)
        painter.drawEllipse(QPointF(cx, cy), radius, radius)
        painter.setBrush(light)
        painter.drawEllipse(QPointF(cx, cy), size * 0.07, size * 0.07)

        # The hand over the scanner (faded after a failure).
        dx, dy, scale, angle, alpha, spread = self._pose()
        if self.state == "error":
            alpha = 0.45
        key = round(spread * 20)
        hand = self._hand_cache.get(key)
        if hand is None:
            hand = self._hand_cache[key] = _hand_path(key / 20)
        place = QTransform()
        place.translate(cx + dx * size, cy + dy * size + size * 0.05)
        place.rotate(angle)
        place.scale(size * 1.05 * scale, size * 1.05 * scale)
        skin = QColor(SKIN)
        skin.setAlphaF(0.82 * alpha)
        edge = QColor(SKIN_EDGE)
        edge.setAlphaF(alpha)
        painter.setBrush(skin)
        painter.setPen(QPen(edge, max(1.5, size * 0.012)))
        painter.drawPath(place.map(hand))
        self._draw_arrows(painter, cx, cy, size)

        if self.state in ("success", "error"):
            self._draw_badge(painter, cx + size * 0.42, cy - size * 0.42, size * 0.15)

        text = self.caption()
        if text:
            font = QFont(self.font())
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(QColor("#24303d"))
            painter.drawText(
                QRectF(0, h - caption_h, w, caption_h), Qt.AlignmentFlag.AlignCenter, text
            )
        painter.end()

    def _draw_arrows(self, painter: QPainter, cx: float, cy: float, size: float) -> None:
        hint = self.hint if self.state == "guidance" else None
        if hint is None:
            return
        pen = QPen(ARROW_COLOR, max(2.5, size * 0.03))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(ARROW_COLOR)
        reach = size * 0.62
        if hint in ("too_left", "too_right"):
            sign = 1 if hint == "too_left" else -1
            y = cy + size * 0.58
            self._arrow(painter, QPointF(cx - sign * size * 0.25, y),
                        QPointF(cx + sign * size * 0.25, y), size)
        elif hint in ("too_far", "too_close"):
            for ux, uy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):
                inner = QPointF(cx + ux * reach * 0.62, cy + uy * reach * 0.62)
                outer = QPointF(cx + ux * reach * 0.8, cy + uy * reach * 0.8)
                if hint == "too_far":  # bring the hand nearer: it should look bigger
                    self._arrow(painter, inner, outer, size * 0.6)
                else:
                    self._arrow(painter, outer, inner, size * 0.6)
        elif hint == "tilted":
            arc = QRectF(cx - reach, cy - reach, 2 * reach, 2 * reach)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawArc(arc, 30 * 16, 40 * 16)
            end = QPointF(cx + reach * math.cos(math.radians(30)),
                          cy - reach * math.sin(math.radians(30)))
            self._head(painter, end, math.radians(-60 + 180), size)
        elif hint == "lift_hand":
            x = cx + size * 0.62
            self._arrow(painter, QPointF(x, cy + size * 0.2), QPointF(x, cy - size * 0.3), size)
        elif hint == "low_quality":
            for sign in (-1, 1):
                start = QPointF(cx + sign * size * 0.2, cy - size * 0.55)
                end = QPointF(cx + sign * size * 0.38, cy - size * 0.62)
                self._arrow(painter, start, end, size * 0.6)

    def _arrow(self, painter: QPainter, start: QPointF, end: QPointF, size: float) -> None:
        painter.drawLine(start, end)
        angle = math.atan2(end.y() - start.y(), end.x() - start.x())
        self._head(painter, end, angle, size)

    def _head(self, painter: QPainter, tip: QPointF, angle: float, size: float) -> None:
        length = size * 0.09
        left = QPointF(tip.x() - length * math.cos(angle - 0.5),
                       tip.y() - length * math.sin(angle - 0.5))
        right = QPointF(tip.x() - length * math.cos(angle + 0.5),
                        tip.y() - length * math.sin(angle + 0.5))
        painter.setBrush(painter.pen().color())
        painter.drawPolygon(QPolygonF([tip, left, right]))

    def _draw_badge(self, painter: QPainter, x: float, y: float, r: float) -> None:
        ok = self.state == "success"
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(SENSOR_COLORS[self.state])
        painter.drawEllipse(QPointF(x, y), r, r)
        pen = QPen(QColor("white"), max(2.0, r * 0.22))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        if ok:
            painter.drawPolyline(QPolygonF([
                QPointF(x - r * 0.45, y), QPointF(x - r * 0.1, y + r * 0.38),
                QPointF(x + r * 0.5, y - r * 0.35),
            ]))
        else:
            painter.drawLine(QPointF(x, y - r * 0.5), QPointF(x, y + r * 0.1))
            painter.drawPoint(QPointF(x, y + r * 0.45))


class PalmScanView(QWidget):
    """Picture, prompt, stage progress and outcome message of one palm operation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.illustration = PalmIllustration()
        self.illustration.setFixedSize(220, 220)
        self.prompt_label = QLabel("")
        self.prompt_label.setWordWrap(True)
        self.prompt_label.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.prompt_label.setAccessibleName("案内")
        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        self.detail_label.setStyleSheet(style.MUTED)
        self.stage_bar = QProgressBar()
        self.stage_bar.setTextVisible(False)
        self.stage_label = QLabel("")
        self.stage_label.setStyleSheet(style.MUTED)
        self.stage_bar.hide()
        self.stage_label.hide()
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName("結果")
        self.message_label.hide()
        # Every prompt shown, in order (the tests and the smoke check read it).
        self.prompt_history: list[str] = []

        text = QVBoxLayout()
        text.setSpacing(8)
        text.addWidget(self.prompt_label)
        text.addWidget(self.detail_label)
        text.addWidget(self.stage_label)
        text.addWidget(self.stage_bar)
        text.addWidget(self.message_label)
        text.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(20)
        layout.addWidget(
            self.illustration, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft
        )
        layout.addLayout(text, 1)

    def _prompt(self, text: str, detail: str = "") -> None:
        self.prompt_label.setText(text)
        self.prompt_label.setVisible(bool(text))
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))
        if text:
            self.prompt_history.append(text)

    def _message(self, text: str, css: str) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(css)
        self.message_label.setVisible(bool(text))

    def show_idle(self, prompt: str, detail: str = "") -> None:
        self.illustration.set_state("idle")
        self._prompt(prompt, detail)
        self._message("", "")

    def show_waiting(self, stages: int | None = None) -> None:
        """The scanner waits for a hand (``stages`` for an enrollment)."""
        self.illustration.set_state("waiting")
        self._prompt(WAITING_PROMPT, WAITING_DETAIL)
        self._message("", "")
        enrolling = stages is not None
        self.stage_bar.setVisible(enrolling)
        self.stage_label.setVisible(enrolling)
        if stages is not None:
            self.stage_bar.setRange(0, stages)
            self.stage_bar.setValue(0)
            self.stage_label.setText(f"登録には{stages}回の読み取りが必要です。")

    def show_guidance(self, guidance: GuidanceLike) -> None:
        self.illustration.set_state("guidance", guidance.hint_key)
        self._prompt(guidance.prompt_ja)

    def show_progress(self, progress: ProgressLike) -> None:
        self.stage_bar.show()
        self.stage_label.show()
        self.stage_bar.setRange(0, progress.stages)
        self.stage_bar.setValue(progress.stage)
        self.stage_label.setText(progress.message_ja)
        if progress.stage < progress.stages:
            self.illustration.set_state("waiting")
            self._prompt("一度手を離し、もう一度かざしてください。")

    def show_success(self, text: str, caption: str = "確認できました", detail: str = "") -> None:
        self.illustration.success_caption = caption
        self.illustration.set_state("success")
        self._prompt(text, detail)
        self._message("", "")

    def show_problem(self, message: str) -> None:
        """A failure the user should read (wrong palm, scanner unplugged, time-out…)."""
        self.illustration.set_state("error")
        self._prompt("")
        self._message(message, style.ERROR_TEXT)

    def show_cancelled(self) -> None:
        self.illustration.set_state("idle")
        self._prompt("")
        self._message(CANCELLED_TEXT, style.NOTICE_TEXT)


class PalmRelay(QObject):
    """Carries device callbacks from the worker thread to the GUI thread (queued)."""

    guidance = Signal(object)
    progress = Signal(object)


def run_palm_operation(
    runner: BackgroundRunner,
    view: PalmScanView,
    task: Callable[[Callable[[Any], None], Callable[[Any], None], Callable[[], bool]], T],
    *,
    parent: QWidget,
    on_success: Callable[[T], None],
    on_failure: Callable[[str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    stages: int | None = None,
    writes: bool = False,
) -> BackgroundOp[T]:
    """Run ``task(on_guidance, on_progress, cancel)`` (a blocking palm call) on the worker.
    ``writes``: the task changes the store after the palm (see ``BackgroundRunner.run``).

    The view shows the waiting state, each guidance and stage as they come, and the outcome:
    an explained failure (the device's or the service's Japanese message) is shown in the
    view, then ``on_failure`` is called; a cancel shows 「読み取りを中止しました。」.
    """
    relay = PalmRelay(view)  # owned by Qt from the start; moved to the op below
    relay.guidance.connect(view.show_guidance, Qt.ConnectionType.QueuedConnection)
    relay.progress.connect(view.show_progress, Qt.ConnectionType.QueuedConnection)
    view.show_waiting(stages)

    def work(ctx: TaskContext) -> T:
        return task(relay.guidance.emit, relay.progress.emit, ctx.cancelled)

    op_box: list[BackgroundOp[T]] = []

    def failed(message: str) -> None:
        if op_box and op_box[0].context.cancelled():
            cancelled()  # the service reports a cancel as an explained failure
            return
        view.show_problem(message)
        if on_failure is not None:
            on_failure(message)

    def cancelled() -> None:
        view.show_cancelled()
        if on_cancelled is not None:
            on_cancelled()

    op = runner.run(
        work,
        on_success=on_success,
        on_user_error=failed,
        on_cancelled=cancelled,
        parent=parent,
        cancellable=True,
        progress_dialog=False,  # the view itself shows what is happening
        writes=writes,
    )
    op_box.append(op)
    relay.setParent(op)  # lives as long as the operation
    return op
