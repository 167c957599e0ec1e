"""What a service receives: the narrow view of a signed-in session it may use.

A service gets the database, the registry, the permission gate, the audit log (``log`` fills
in who acted) and the clock — never the composition root, so services do not reach through
it to each other or to the store's keys. The composition root builds one context per
sign-in and hands it to every service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.database import Database
from storage.registry import Registry
from toda_desktop.audit.trail import AuditTrail
from toda_desktop.clock import Clock, stamp
from toda_desktop.gate import Gate
from toda_desktop.models import SignedInUser


@dataclass(frozen=True)
class ServiceContext:
    db: Database
    registry: Registry
    gate: Gate
    actor: SignedInUser  # who is signed in: every log entry and every "made by" names them
    clock: Clock
    trail: AuditTrail

    def log(
        self,
        action: str,
        *,
        outcome: str = "ok",
        target: str | None = None,
        pupil_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append an audit entry in the signed-in user's name."""
        self.trail.record(self.actor.login_id, action, outcome=outcome, target=target,
                          pupil_id=pupil_id, detail=detail)

    def now(self) -> datetime:
        """The clock's time to the second."""
        return stamp(self.clock)
