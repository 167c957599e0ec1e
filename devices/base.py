"""Shared behaviour of every backend: state, busy guard, listeners, argument checks.

Backends implement the ``_open_device`` … ``_capture`` hooks; this class makes sure they
only run on an open, connected, idle device, with a fresh ``Operation`` (deadline, cancel
flag, callbacks), so the contract is the same whatever the hardware.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from devices.cancel import never
from devices.clock import Clock, SystemClock
from devices.errors import (
    NotSupported,
    ScanCancelled,
    ScannerBusy,
    ScannerDisconnected,
    ScannerError,
    ScannerNotOpen,
)
from devices.events import DeviceEvent, EventListener
from devices.operation import Operation
from devices.protocol import (
    DEFAULT_DUPLICATE_MAX_FMR,
    GuidanceCallback,
    ProgressCallback,
    ScannerInfo,
    VerifyResult,
)
from devices.scoring import check_fmr
from devices.template import Template, as_template
from kernel.progress import CancelFlag

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
_FOREIGN_FORMAT_JA = (
    "手のひらの登録データの形式がこのスキャナと異なります。手のひらを登録し直してください。"
)


class ScannerBase(ABC):
    def __init__(
        self,
        info: ScannerInfo,
        *,
        clock: Clock | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        connected: bool = True,
    ) -> None:
        if timeout_s < 0:
            raise ValueError("timeout_s must not be negative")
        self._info = info
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.timeout_s = timeout_s
        self._busy = threading.Lock()
        self._listeners: list[EventListener] = []
        self._connected = connected
        self._open = False
        self._calls = 0  # calls let through the busy guard; places recorded events in time

    # -- state and events -------------------------------------------------------------

    @property
    def info(self) -> ScannerInfo:
        return self._info

    @property
    def is_simulator(self) -> bool:
        return self._info.is_simulator

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def is_connected(self) -> bool:
        return self._connected

    def add_listener(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit_event(self, event: DeviceEvent) -> None:
        """Update the connection state and tell the listeners (on the calling thread)."""
        if event is DeviceEvent.REMOVED:
            self._connected = False
            self._open = False  # a removed device must be opened again after it returns
        elif event is DeviceEvent.CONNECTED:
            self._connected = True
        log.debug("%s: event %s", self._info.backend, event.value)
        for listener in list(self._listeners):
            listener(event)

    def _sync(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Hook run (inside the busy guard) before each call; replay delivers events here."""

    # -- open / close -------------------------------------------------------------------

    def open(self) -> None:
        with self._exclusive():
            self._sync()
            if self._open:
                return
            if not self._connected:
                raise ScannerDisconnected()
            self._open_device()
            self._open = True

    def close(self) -> None:
        with self._exclusive():
            self._sync()
            if not self._open:
                return
            try:
                self._close_device()
            finally:
                self._open = False

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- operations ---------------------------------------------------------------------

    def enroll(
        self,
        *,
        gallery: Sequence[Template | bytes] = (),
        duplicate_max_fmr: float = DEFAULT_DUPLICATE_MAX_FMR,
        on_guidance: GuidanceCallback | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: CancelFlag | None = None,
        timeout_s: float | None = None,
    ) -> Template:
        dup_fmr = check_fmr(duplicate_max_fmr)
        # Templates of another format cannot be compared; a vendor change means re-enrolling.
        comparable = [
            t for t in map(as_template, gallery) if t.format_id == self._info.template_format
        ]
        with self._operation("enroll", on_guidance, on_progress, cancel, timeout_s) as op:
            return self._enroll(op, comparable, dup_fmr)

    def verify(
        self,
        reference: Template | bytes,
        max_fmr: float,
        *,
        on_guidance: GuidanceCallback | None = None,
        cancel: CancelFlag | None = None,
        timeout_s: float | None = None,
    ) -> VerifyResult:
        fmr = check_fmr(max_fmr)
        ref = as_template(reference)
        with self._operation("verify", on_guidance, None, cancel, timeout_s) as op:
            if ref.format_id != self._info.template_format:
                raise NotSupported(_FOREIGN_FORMAT_JA)
            result = self._verify(op, ref, fmr)
            log.debug("verify: matched=%s", result.matched)
            return result

    def capture(
        self,
        *,
        on_guidance: GuidanceCallback | None = None,
        cancel: CancelFlag | None = None,
        timeout_s: float | None = None,
    ) -> Template:
        with self._operation("capture", on_guidance, None, cancel, timeout_s) as op:
            if not self._info.supports_capture:
                raise NotSupported()
            return self._capture(op)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One call at a time: a second concurrent (or re-entrant) call is ``ScannerBusy``."""
        if not self._busy.acquire(blocking=False):
            raise ScannerBusy()
        self._calls += 1
        try:
            yield
        finally:
            self._busy.release()

    @contextmanager
    def _operation(
        self,
        name: str,
        on_guidance: GuidanceCallback | None,
        on_progress: ProgressCallback | None,
        cancel: CancelFlag | None,
        timeout_s: float | None,
    ) -> Iterator[Operation]:
        with self._exclusive():
            self._sync()
            if not self._connected:
                raise ScannerDisconnected()
            if not self._open:
                raise ScannerNotOpen()
            op = Operation(
                name,
                clock=self.clock,
                timeout_s=self.timeout_s if timeout_s is None else timeout_s,
                timeout_requested=timeout_s,
                cancel=cancel if cancel is not None else never,
                on_guidance=on_guidance,
                on_progress=on_progress,
                emit_event=self._emit_event,
                connected=lambda: self._connected,
            )
            if op.cancelled():
                raise ScanCancelled()
            log.debug("%s: %s started", self._info.backend, name)
            try:
                yield op
            except ScannerError as error:
                log.debug("%s: %s ended: %s", self._info.backend, name, error.code)
                raise
            log.debug("%s: %s finished", self._info.backend, name)

    # -- backend hooks ------------------------------------------------------------------

    @abstractmethod
    def _open_device(self) -> None: ...

    @abstractmethod
    def _close_device(self) -> None: ...

    @abstractmethod
    def _enroll(self, op: Operation, gallery: list[Template], duplicate_max_fmr: float) -> Template:
        ...

    @abstractmethod
    def _verify(self, op: Operation, reference: Template, max_fmr: float) -> VerifyResult: ...

    @abstractmethod
    def _capture(self, op: Operation) -> Template: ...
