"""When a signed-in session must be locked (idle) or ended (too long), from an injected clock.

(One of three words kept apart: ``SignedIn`` is the session, ``SignedInUser`` who holds it,
``IdleLock`` when it locks.)

The UI reports activity and asks for the state on a timer; the rule itself lives here so that
it is tested without Qt and holds for any front end. Defaults: lock after 10 idle minutes,
end after 12 hours (NIST SP 800-63B AAL3 allows at most 15 minutes idle and 12 hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from toda_desktop.clock import Clock

DEFAULT_IDLE = timedelta(minutes=10)
DEFAULT_MAX = timedelta(hours=12)


class LockState(Enum):
    ACTIVE = "active"
    LOCKED = "locked"  # idle too long: hide the screen, resume with the palm
    EXPIRED = "expired"  # too long overall: sign out


@dataclass
class IdleLock:
    clock: Clock
    started_at: datetime
    idle_limit: timedelta = DEFAULT_IDLE
    max_length: timedelta = DEFAULT_MAX
    last_activity: datetime | None = None
    locked: bool = False

    def __post_init__(self) -> None:
        if self.last_activity is None:
            self.last_activity = self.started_at

    def touch(self) -> None:
        """The user did something; ignored while locked (only the palm unlocks)."""
        if not self.locked:
            self.last_activity = self.clock()

    def state(self) -> LockState:
        now = self.clock()
        if now - self.started_at >= self.max_length:
            return LockState.EXPIRED
        assert self.last_activity is not None
        if self.locked or now - self.last_activity >= self.idle_limit:
            self.locked = True
            return LockState.LOCKED
        return LockState.ACTIVE

    def lock(self) -> None:
        self.locked = True

    def resume(self) -> None:
        """After a successful palm verification."""
        self.locked = False
        self.last_activity = self.clock()
