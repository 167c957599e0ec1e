"""One running scanner operation: callbacks, cancel flag and deadline in one place.

Backends report through it and wait through it, so every wait checks the cancel flag,
the connection and the deadline of the injected clock: an operation cannot hang.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NoReturn

from devices.clock import Clock
from devices.errors import ScanCancelled, ScannerDisconnected, ScannerTimeout
from devices.events import DeviceEvent
from devices.guidance import Guidance
from devices.protocol import EnrollProgress, GuidanceCallback, ProgressCallback
from kernel.progress import CancelFlag

log = logging.getLogger(__name__)

# Longest single sleep: how quickly a real wait notices cancel or removal.
WAIT_SLICE_S = 0.05


class Operation:
    def __init__(
        self,
        name: str,
        *,
        clock: Clock,
        timeout_s: float,
        timeout_requested: float | None,
        cancel: CancelFlag,
        on_guidance: GuidanceCallback | None,
        on_progress: ProgressCallback | None,
        emit_event: Callable[[DeviceEvent], None],
        connected: Callable[[], bool],
    ) -> None:
        self.name = name
        self.clock = clock
        self.timeout_s = timeout_s
        self.timeout_requested = timeout_requested  # what the caller passed (for wrappers)
        self.cancel_flag = cancel
        self._on_guidance = on_guidance
        self._on_progress = on_progress
        self._emit_event = emit_event
        self._connected = connected
        self.deadline = clock.monotonic() + timeout_s

    def cancelled(self) -> bool:
        return bool(self.cancel_flag())

    def check(self) -> None:
        """Raise if the operation must end now: cancelled, device gone, or out of time."""
        if self.cancelled():
            raise ScanCancelled()
        if not self._connected():
            raise ScannerDisconnected()
        if self.clock.monotonic() >= self.deadline:
            raise ScannerTimeout()

    def restart_timer(self) -> None:
        """A new wait for a hand begins (e.g. the next enrollment stage)."""
        self.deadline = self.clock.monotonic() + self.timeout_s

    def guide(self, guidance: Guidance) -> None:
        log.debug("%s: guidance %s", self.name, guidance.value)
        if self._on_guidance is not None:
            self._on_guidance(guidance)

    def progress(self, progress: EnrollProgress) -> None:
        log.debug("%s: stage %d/%d", self.name, progress.stage, progress.stages)
        if self._on_progress is not None:
            self._on_progress(progress)

    def event(self, event: DeviceEvent) -> None:
        self._emit_event(event)

    def wait(self, seconds: float) -> None:
        """Wait up to ``seconds`` in short slices, ending early by raising as ``check`` does."""
        end = self.clock.monotonic() + max(seconds, 0.0)
        while True:
            self.check()
            now = self.clock.monotonic()
            if now >= end:
                return
            self.clock.sleep(min(WAIT_SLICE_S, end - now, self.deadline - now))

    def wait_until_deadline(self) -> NoReturn:
        """Nothing will happen (a stalled device): wait until cancel, removal or timeout."""
        while True:
            self.wait(WAIT_SLICE_S)
