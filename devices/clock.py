"""Injectable time: operations wait through a clock so tests never sleep.

``FakeClock.sleep`` advances time instantly; ``SystemClock`` really waits. Both give a
monotonic time for deadlines and a wall time for template timestamps.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def wall(self) -> float:
        """Seconds since the epoch (template ``created``)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))


class FakeClock:
    """A clock that only moves when slept on or advanced (thread-safe)."""

    def __init__(self, start_wall: float = 1_767_225_600.0) -> None:  # 2026-01-01 UTC
        self._lock = threading.Lock()
        self._now = 0.0
        self._start_wall = start_wall

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def wall(self) -> float:
        with self._lock:
            return self._start_wall + self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(seconds, 0.0)
