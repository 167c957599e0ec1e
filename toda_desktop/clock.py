"""The one place that reads the system clock.

Everything else asks a ``Clock`` (the application's, injected at the composition root), so
tests and audits can set the time and every stored time stamp comes from the same source.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Local wall-clock time, as the office reads it (naive, like every stored stamp)."""
    return datetime.now()


def stamp(clock: Clock) -> datetime:
    """The clock's time to the second: what records and reports show."""
    return clock().replace(microsecond=0)


def today(clock: Clock) -> date:
    return clock().date()
