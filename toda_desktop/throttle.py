"""Sign-in throttling: growing delays after failures, then a lockout an administrator lifts.

Password failures happen before the store is unlocked, so the counters live in a small file
beside the store (``STORE.signin``), keyed like the key file by a hash of store id and login
id. Failures waiting there are copied into the audit log at the next successful unlock, so
every failure ends up in the tamper-evident log. Password and palm are counted separately
(NIST SP 800-63B: at most 100 password failures; palm: 5 free attempts, then a delay).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from toda_desktop.clock import Clock
from toda_desktop.errors import SignInError

FACTORS = ("password", "palm")


@dataclass(frozen=True)
class ThrottleRules:
    """Free attempts, then a delay doubling from ``first_delay`` up to ``max_delay``,
    and a lockout after ``lockout_after`` consecutive failures."""

    free_attempts: int
    first_delay: timedelta
    max_delay: timedelta
    lockout_after: int

    def delay_after(self, failures: int) -> timedelta:
        if failures < self.free_attempts:
            return timedelta(0)
        steps = failures - self.free_attempts
        delay: timedelta = min(self.first_delay * (2**steps), self.max_delay)
        return delay


DEFAULT_RULES = {
    "password": ThrottleRules(3, timedelta(seconds=5), timedelta(minutes=5), 10),
    "palm": ThrottleRules(5, timedelta(seconds=30), timedelta(minutes=5), 10),
}


@dataclass
class SlotState:
    failures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACTORS, 0))
    next_allowed: str | None = None
    locked: bool = False
    locked_by: str | None = None


@dataclass
class ThrottleBook:
    """The file's content; every change is saved at once (a crash loses nothing counted)."""

    path: Path
    clock: Clock
    rules: dict[str, ThrottleRules] = field(default_factory=lambda: dict(DEFAULT_RULES))
    slots: dict[str, SlotState] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def path_for(store_path: Path) -> Path:
        return store_path.with_name(store_path.name + ".signin")

    @classmethod
    def load(
        cls, store_path: Path, clock: Clock, rules: dict[str, ThrottleRules] | None = None
    ) -> ThrottleBook:
        path = cls.path_for(store_path)
        book = cls(path=path, clock=clock, rules=rules or dict(DEFAULT_RULES))
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return book
        except ValueError:
            # A damaged counter file must not let anyone in more easily: lock nothing, count
            # from zero, but record that it happened.
            book.pending.append({"at": clock().isoformat(), "event": "throttle_file_damaged"})
            return book
        for slot, state in raw.get("slots", {}).items():
            book.slots[slot] = SlotState(
                failures={f: int(state.get("failures", {}).get(f, 0)) for f in FACTORS},
                next_allowed=state.get("next_allowed"),
                locked=bool(state.get("locked", False)),
                locked_by=state.get("locked_by"),
            )
        book.pending = list(raw.get("pending", []))
        return book

    def save(self) -> None:
        data = {
            "slots": {
                s: {
                    "failures": st.failures,
                    "next_allowed": st.next_allowed,
                    "locked": st.locked,
                    "locked_by": st.locked_by,
                }
                for s, st in self.slots.items()
            },
            "pending": self.pending,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)

    def _state(self, slot: str) -> SlotState:
        return self.slots.setdefault(slot, SlotState())

    def check_allowed(self, slot: str) -> None:
        """Raise a Japanese SignInError if this account may not try now."""
        state = self.slots.get(slot)
        if state is None:
            return
        if state.locked:
            raise SignInError(
                "このアカウントは失敗が続いたためロックされています。管理者に解除を依頼してください。"
            )
        if state.next_allowed is not None:
            wait = datetime.fromisoformat(state.next_allowed) - self.clock()
            if wait > timedelta(0):
                seconds = max(1, int(wait.total_seconds() + 0.999))
                raise SignInError(f"失敗が続いたため、あと{seconds}秒お待ちください。")

    def record_failure(self, slot: str, factor: str) -> None:
        state = self._state(slot)
        state.failures[factor] += 1
        count = state.failures[factor]
        rules = self.rules[factor]
        now = self.clock()
        event = {"at": now.isoformat(timespec="seconds"), "slot": slot, "factor": factor,
                 "event": "sign_in_failed", "consecutive": count}
        if count >= rules.lockout_after:
            state.locked = True
            state.locked_by = factor
            event["event"] = "account_locked"
        delay = rules.delay_after(count)
        state.next_allowed = (now + delay).isoformat() if delay else None
        self.pending.append(event)
        self.save()

    def record_success(self, slot: str, factor: str) -> None:
        state = self.slots.get(slot)
        if state is None:
            return
        state.failures[factor] = 0
        if all(v == 0 for v in state.failures.values()) and not state.locked:
            del self.slots[slot]
        # Otherwise the other factor's delay still stands.
        self.save()

    def unlock(self, slot: str) -> bool:
        """Administrator's unlock; returns whether the account was locked."""
        state = self.slots.pop(slot, None)
        self.save()
        return bool(state and state.locked)

    def is_locked(self, slot: str) -> bool:
        state = self.slots.get(slot)
        return bool(state and state.locked)

    def take_pending(self) -> list[dict[str, Any]]:
        """Failures to copy into the audit log (then forgotten here)."""
        events, self.pending = self.pending, []
        self.save()
        return events
