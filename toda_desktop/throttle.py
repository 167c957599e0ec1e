"""Sign-in throttling: growing delays after failures, then a lockout an administrator lifts.

Password failures happen before the store is unlocked, so the counters live in a small file
beside the store (``STORE.signin``, owner-only), keyed like the key file by a hash of store id
and login id. Failures waiting there are copied into the audit log at the next successful
unlock, so every failure ends up in the tamper-evident log. Password and palm are counted
separately (NIST SP 800-63B: at most 100 password failures; palm: 5 free attempts, then a
delay).

The file alone can be deleted or replaced, so a copy of the counters is also kept inside the
store and compared after unlock (``toda_desktop.signin_record``): the file carries a random id,
a save serial and lifetime totals, none of which may go back. Every change happens under an
exclusive lock on ``STORE.signin.lock`` and is saved through a uniquely named temporary file,
so parallel attempts all count. A damaged file is never read as "no failures": it is kept as
``broken`` until an unlock reports the break.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from toda_desktop.clock import Clock
from toda_desktop.errors import SignInError
from toda_desktop.file_lock import exclusive_lock

FACTORS = ("password", "palm")
FILE_FORMAT = 2
LOCKED_MESSAGE = (
    "このアカウントは失敗が続いたためロックされています。管理者に解除を依頼してください。"
)


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


def _zeros() -> dict[str, int]:
    return dict.fromkeys(FACTORS, 0)


@dataclass
class SlotState:
    failures: dict[str, int] = field(default_factory=_zeros)  # consecutive
    totals: dict[str, int] = field(default_factory=_zeros)  # ever counted in this file
    next_allowed: str | None = None
    locked: bool = False
    locked_by: str | None = None


def _new_file_id() -> str:
    return secrets.token_hex(16)


def _counts(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise ValueError("counts")
    counts = {f: int(raw.get(f, 0)) for f in FACTORS}
    if any(v < 0 for v in counts.values()):
        raise ValueError("negative count")
    return counts


def _parse(text: str) -> tuple[str, int, dict[str, SlotState], list[dict[str, Any]], str | None]:
    """File id, serial, slots, pending events and an earlier break; ValueError if damaged."""
    raw = json.loads(text)
    if not isinstance(raw, dict) or not isinstance(raw.get("slots", {}), dict):
        raise ValueError("not a counter file")
    slots: dict[str, SlotState] = {}
    for slot, state in raw.get("slots", {}).items():
        if not isinstance(state, dict):
            raise ValueError("slot")
        failures = _counts(state.get("failures", {}))
        totals = _counts(state.get("totals", failures))
        next_allowed = state.get("next_allowed")
        if next_allowed is not None:
            datetime.fromisoformat(str(next_allowed))
        slots[str(slot)] = SlotState(
            failures=failures,
            totals={f: max(totals[f], failures[f]) for f in FACTORS},
            next_allowed=None if next_allowed is None else str(next_allowed),
            locked=bool(state.get("locked", False)),
            locked_by=state.get("locked_by"),
        )
    pending = raw.get("pending", [])
    if not isinstance(pending, list) or not all(isinstance(e, dict) for e in pending):
        raise ValueError("pending")
    file_id = raw.get("file_id")
    serial = int(raw.get("serial", 0))
    broken = raw.get("broken")
    return (
        str(file_id) if file_id else "",  # a file of format 1 gets an id on its next save
        serial,
        slots,
        list(pending),
        None if broken is None else str(broken),
    )


@dataclass
class ThrottleBook:
    """The file's content. Every change is saved at once under the file lock (a crash loses
    nothing counted); ``mirror`` (set while the store is open) copies each save inside."""

    path: Path
    clock: Clock
    rules: dict[str, ThrottleRules] = field(default_factory=lambda: dict(DEFAULT_RULES))
    slots: dict[str, SlotState] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    file_id: str = ""
    serial: int = 0
    missing: bool = False  # there was no file when it was read
    broken: str | None = None  # why the file could not be trusted ("damaged"), until reported
    mirror: Callable[[ThrottleBook], None] | None = None
    _held: bool = False

    @staticmethod
    def path_for(store_path: Path) -> Path:
        return store_path.with_name(store_path.name + ".signin")

    @staticmethod
    def lock_path_for(store_path: Path) -> Path:
        return store_path.with_name(store_path.name + ".signin.lock")

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @classmethod
    def load(
        cls, store_path: Path, clock: Clock, rules: dict[str, ThrottleRules] | None = None
    ) -> ThrottleBook:
        """A snapshot of the file; each change re-reads it under the lock before saving."""
        book = cls(path=cls.path_for(store_path), clock=clock,
                   rules=rules or dict(DEFAULT_RULES))
        with exclusive_lock(book.lock_path):
            book._read()
        return book

    @classmethod
    @contextmanager
    def locked(
        cls, store_path: Path, clock: Clock, rules: dict[str, ThrottleRules] | None = None
    ) -> Iterator[ThrottleBook]:
        """The book held under the lock for a whole attempt (load → derive → save), so
        that parallel attempts are counted one after the other."""
        book = cls(path=cls.path_for(store_path), clock=clock,
                   rules=rules or dict(DEFAULT_RULES))
        with exclusive_lock(book.lock_path):
            book._read()
            book._held = True
            try:
                yield book
            finally:
                book._held = False

    def _read(self) -> None:
        self.slots, self.pending = {}, []
        self.missing, self.broken = False, None
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.file_id, self.serial, self.missing = _new_file_id(), 0, True
            return
        try:
            file_id, self.serial, self.slots, self.pending, self.broken = _parse(text)
            self.file_id = file_id or _new_file_id()
        except (ValueError, TypeError, AttributeError):
            # Damaged: the counts are unknown, which must never read as "no failures". The
            # next unlock sees a new file id and the mark, and refuses (a break).
            self.file_id, self.serial, self.slots = _new_file_id(), 0, {}
            self.broken = "damaged"
            self.pending = [{"at": self.clock().isoformat(timespec="seconds"),
                             "event": "throttle_file_damaged"}]
            self._write()

    def _change(self, apply: Callable[[], Any], *, needed: Callable[[], bool] | None = None) -> Any:
        """Apply a change to the newest content and save it, under the lock; ``needed`` says
        (on the newest content) whether there is anything to change at all."""
        guard = nullcontext() if self._held else exclusive_lock(self.lock_path)
        with guard:
            if not self._held:
                self._read()
            if needed is not None and not needed():
                return None
            result = apply()
            self._write()
        return result

    def _write(self) -> None:
        self.serial += 1
        data = {
            "format": FILE_FORMAT,
            "file_id": self.file_id,
            "serial": self.serial,
            "broken": self.broken,
            "slots": {
                s: {
                    "failures": st.failures,
                    "totals": st.totals,
                    "next_allowed": st.next_allowed,
                    "locked": st.locked,
                    "locked_by": st.locked_by,
                }
                for s, st in self.slots.items()
            },
            "pending": self.pending,
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name + ".",
                                   suffix=".tmp")  # unique and owner-only
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(data, ensure_ascii=False))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.missing = False
        if self.mirror is not None:
            self.mirror(self)

    def save(self) -> None:
        """Write the book as it is (under the lock)."""
        self._change(lambda: None)

    def _state(self, slot: str) -> SlotState:
        return self.slots.setdefault(slot, SlotState())

    def check_allowed(self, slot: str) -> None:
        """Raise a Japanese SignInError if this account may not try now."""
        state = self.slots.get(slot)
        if state is None:
            return
        if state.locked:
            raise SignInError(LOCKED_MESSAGE)
        if state.next_allowed is not None:
            wait = datetime.fromisoformat(state.next_allowed) - self.clock()
            if wait > timedelta(0):
                seconds = max(1, int(wait.total_seconds() + 0.999))
                raise SignInError(f"失敗が続いたため、あと{seconds}秒お待ちください。")

    def record_failure(self, slot: str, factor: str) -> None:
        def apply() -> None:
            state = self._state(slot)
            state.failures[factor] += 1
            state.totals[factor] += 1
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

        self._change(apply)

    def record_success(self, slot: str, factor: str) -> None:
        def needed() -> bool:
            state = self.slots.get(slot)
            return state is not None and state.failures[factor] > 0

        def apply() -> None:
            # The lifetime total stays; the other factor's delay still stands.
            self.slots[slot].failures[factor] = 0

        self._change(apply, needed=needed)

    def lock(self, slot: str, reason: str) -> None:
        """Lock a slot (e.g. after a break of the counter records)."""

        def apply() -> None:
            state = self._state(slot)
            state.locked, state.locked_by = True, reason

        self._change(apply)

    def unlock(self, slot: str) -> bool:
        """Administrator's unlock; returns whether the account was locked. Lifetime totals
        stay (the copy inside the store compares them)."""

        def apply() -> bool:
            state = self.slots.get(slot)
            if state is None:
                return False
            was_locked = state.locked
            state.failures, state.next_allowed = _zeros(), None
            state.locked, state.locked_by = False, None
            return was_locked

        return bool(self._change(apply))

    def is_locked(self, slot: str) -> bool:
        state = self.slots.get(slot)
        return bool(state and state.locked)

    def take_pending(self) -> list[dict[str, Any]]:
        """Failures to copy into the audit log (then forgotten here)."""
        taken: list[dict[str, Any]] = []

        def apply() -> None:
            taken.extend(self.pending)
            self.pending = []

        self._change(apply, needed=lambda: bool(self.pending))
        return taken

    def adopt(self, slots: dict[str, SlotState]) -> None:
        """After a break: the file takes the merged counters and a fresh id, and is no longer
        marked broken (the break has been reported and the account locked)."""

        def apply() -> None:
            self.slots = slots
            self.file_id, self.serial, self.broken = _new_file_id(), 0, None

        self._change(apply)
