"""A deterministic, scriptable palm-vein scanner for demo and test stores.

Like libfprint's virtual device, operations consume a queue of scripted steps (see
``devices.script``); scripted presentations have a certain outcome (same palm matches,
another palm does not). When nothing is scripted the simulator runs in automatic mode: it
presents ``default_subject`` (on demo/test stores, the signed-in user's own palm) with
scores drawn from the score model so the configured operating point holds. With neither,
nobody is at the scanner and the operation times out. All waiting goes through the clock.

A subject id maps to a stable synthetic palm (a hash), independent of the seed, so a
template enrolled in one session verifies in another. Templates never contain the id.
"""

from __future__ import annotations

import collections
import hashlib
import logging
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devices.base import DEFAULT_TIMEOUT_S, ScannerBase
from devices.clock import Clock
from devices.errors import (
    DuplicatePalm,
    InvalidData,
    ScannerDisconnected,
    SpoofSuspected,
    error_from_code,
)
from devices.events import DeviceEvent
from devices.guidance import Guidance
from devices.operation import WAIT_SLICE_S, Operation
from devices.protocol import EnrollProgress, ScannerInfo, VerifyResult
from devices.scoring import OperatingPoint, ScoreModel, fmr_at, threshold_for
from devices.script import (
    Fail,
    Guide,
    Present,
    RemoveHand,
    ScriptError,
    SetEnrollStages,
    Sleep,
    Spoof,
    Stall,
    Step,
    Unplug,
    parse_script,
)
from devices.template import Template, TemplateHeader

log = logging.getLogger(__name__)

SIMULATOR_FORMAT = "toda.simulator"
SIMULATOR_FORMAT_VERSION = 1
_PALM_MAGIC = b"SIMPALM1"
_IDENTITY_BYTES = 32


@dataclass(frozen=True)
class SimulatorConfig:
    seed: int = 0
    operating_point: OperatingPoint = field(default_factory=OperatingPoint)
    enroll_stages: int = 3
    min_quality: int = 40  # captures below this get LOW_QUALITY guidance and are retried
    auto_quality: int = 80  # quality of automatic presentations
    timeout_s: float = DEFAULT_TIMEOUT_S  # per wait for a usable hand
    capture_s: float = 0.0  # clock time one capture takes (a GUI demo may want ~0.5)
    default_subject: str | None = None
    connected: bool = True
    script: str | Sequence[Step] = ()
    inbox: Path | None = None  # a text file a tester appends commands to, read as they come


@dataclass(frozen=True)
class _Presentation:
    identity: bytes
    quality: int
    drawn: bool


def palm_identity(subject: str) -> bytes:
    """The synthetic palm of a subject id: stable across seeds, sessions and machines."""
    return hashlib.sha256(b"toda-simulated-palm\0" + subject.encode("utf-8")).digest()


class Simulator(ScannerBase):
    def __init__(self, config: SimulatorConfig | None = None, *, clock: Clock | None = None):
        self.config = config = config if config is not None else SimulatorConfig()
        super().__init__(
            ScannerInfo(
                backend="simulator",
                model_ja="静脈認証シミュレータ（実機ではありません）",
                is_simulator=True,
                template_format=SIMULATOR_FORMAT,
                enroll_stages=config.enroll_stages,
            ),
            clock=clock,
            timeout_s=config.timeout_s,
            connected=config.connected,
        )
        self._rng = random.Random(config.seed)  # noqa: S311 - deterministic simulation
        self._model = ScoreModel(config.operating_point)
        self._queue: collections.deque[Step] = collections.deque()
        self._queue_lock = threading.Lock()
        self._stages = config.enroll_stages
        self._hand = False
        self._inbox_offset = 0
        self.default_subject = config.default_subject
        self.push(config.script)

    # -- scripting and hot-plug (test and demo controls) --------------------------------

    def push(self, *steps: Step | str | Sequence[Step]) -> None:
        """Queue steps; text is parsed (``ScriptError`` for a bad command)."""
        parsed: list[Step] = []
        for item in steps:
            if isinstance(item, str):
                parsed.extend(parse_script(item))
            elif isinstance(item, Step):
                parsed.append(item)
            else:
                parsed.extend(item)
        with self._queue_lock:
            self._queue.extend(parsed)

    def pending(self) -> tuple[Step, ...]:
        with self._queue_lock:
            return tuple(self._queue)

    def plug(self) -> None:
        if not self.is_connected:
            self._emit_event(DeviceEvent.CONNECTED)

    def unplug(self) -> None:
        if self.is_connected:
            self._hand = False
            self._emit_event(DeviceEvent.REMOVED)

    # -- backend hooks ------------------------------------------------------------------

    def _open_device(self) -> None:
        self._hand = False

    def _close_device(self) -> None:
        self._hand = False

    def _enroll(self, op: Operation, gallery: list[Template], duplicate_max_fmr: float) -> Template:
        self._apply_leading_settings()
        stages = self._stages
        accepted: list[_Presentation] = []
        while len(accepted) < stages:
            palm = self._usable_presentation(op)
            if accepted and palm.identity != accepted[0].identity:
                op.guide(Guidance.LIFT_HAND)  # another palm mid-enrollment: start this stage over
                self._lift(op)
                continue
            accepted.append(palm)
            op.progress(EnrollProgress(len(accepted), stages))
            self._lift(op)
            op.restart_timer()
        threshold = threshold_for(duplicate_max_fmr)
        for reference in gallery:
            if self._score(accepted[0], reference) >= threshold:
                raise DuplicatePalm(reference.template_id)
        return self._template(accepted[0].identity, min(p.quality for p in accepted))

    def _verify(self, op: Operation, reference: Template, max_fmr: float) -> VerifyResult:
        self._apply_leading_settings()
        _identity_of(reference)  # a damaged reference fails before anyone waits
        palm = self._usable_presentation(op)
        self._lift(op)
        score = self._score(palm, reference)
        return VerifyResult(score >= threshold_for(max_fmr), fmr_at(score), max_fmr)

    def _capture(self, op: Operation) -> Template:
        self._apply_leading_settings()
        palm = self._usable_presentation(op)
        self._lift(op)
        return self._template(palm.identity, palm.quality)

    # -- the simulated person and device ------------------------------------------------

    def _usable_presentation(self, op: Operation) -> _Presentation:
        while True:
            palm = self._next_presentation(op)
            if palm.quality >= self.config.min_quality:
                return palm
            op.guide(Guidance.LOW_QUALITY)  # the hand stays; the person adjusts it

    def _next_presentation(self, op: Operation) -> _Presentation:
        while True:
            step = self._take_step(op)
            if isinstance(step, Present):
                self._place(op)
                if self.config.capture_s:
                    op.wait(self.config.capture_s)
                return _Presentation(palm_identity(step.subject), step.quality, step.drawn)
            self._apply(op, step)

    def _take_step(self, op: Operation) -> Step:
        while True:
            op.check()
            step = self._pop()
            if step is not None:
                return step
            if self.default_subject is not None:
                return Present(self.default_subject, self.config.auto_quality, drawn=True)
            op.wait(WAIT_SLICE_S)  # nobody at the scanner: wait for a command or the deadline

    def _apply(self, op: Operation, step: Step) -> None:
        if isinstance(step, Guide):
            self._place(op)
            op.guide(step.guidance)
            if step.guidance is Guidance.LIFT_HAND:
                self._lift(op)
        elif isinstance(step, Sleep):
            op.wait(step.seconds)
        elif isinstance(step, Stall):
            op.wait_until_deadline()
        elif isinstance(step, Fail):
            raise error_from_code(step.code)
        elif isinstance(step, Unplug):
            self.unplug()
            raise ScannerDisconnected()
        elif isinstance(step, Spoof):
            self._place(op)
            raise SpoofSuspected()
        elif isinstance(step, RemoveHand):
            self._lift(op)
        elif isinstance(step, SetEnrollStages):
            self._stages = step.stages  # from the next enrollment on

    def _apply_leading_settings(self) -> None:
        with self._queue_lock:
            while self._queue and isinstance(self._queue[0], SetEnrollStages):
                step = self._queue.popleft()
                assert isinstance(step, SetEnrollStages)
                self._stages = step.stages

    def _place(self, op: Operation) -> None:
        if not self._hand:
            self._hand = True
            op.event(DeviceEvent.HAND_PRESENT)

    def _lift(self, op: Operation) -> None:
        if self._hand:
            self._hand = False
            op.event(DeviceEvent.HAND_REMOVED)

    def _pop(self) -> Step | None:
        self._read_inbox()
        with self._queue_lock:
            return self._queue.popleft() if self._queue else None

    def _read_inbox(self) -> None:
        inbox = self.config.inbox
        if inbox is None or not inbox.exists():
            return
        with inbox.open("rb") as handle:
            handle.seek(self._inbox_offset)
            chunk = handle.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a half-written line waits for its end
        self._inbox_offset += len(complete)
        for line in complete.decode("utf-8", errors="replace").splitlines():
            try:
                self.push(line)
            except ScriptError as error:
                log.warning("simulator inbox: %s", error)

    # -- scores and templates -----------------------------------------------------------

    def _score(self, palm: _Presentation, reference: Template) -> float:
        genuine = palm.identity == _identity_of(reference)
        if palm.drawn:
            return self._model.draw(genuine, self._rng)
        return self._model.expected(genuine)

    def _template(self, identity: bytes, quality: int) -> Template:
        noise = self._rng.randbytes(32)  # stands in for capture-to-capture variation
        header = TemplateHeader(
            format_id=SIMULATOR_FORMAT,
            format_version=SIMULATOR_FORMAT_VERSION,
            quality=quality,
            created=int(self.clock.wall()),
            template_id=f"{self._rng.getrandbits(128):032x}",
        )
        return Template(header, _PALM_MAGIC + identity + noise)


def _identity_of(template: Template) -> bytes:
    data = template.data
    if template.header.format_version != SIMULATOR_FORMAT_VERSION or not data.startswith(
        _PALM_MAGIC
    ):
        raise InvalidData()
    identity = data[len(_PALM_MAGIC) : len(_PALM_MAGIC) + _IDENTITY_BYTES]
    if len(identity) != _IDENTITY_BYTES:
        raise InvalidData()
    return identity
