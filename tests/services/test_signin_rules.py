"""Password rules, throttling and the session clock, with an injected clock (no sleeping)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from toda_desktop.errors import SignInError
from toda_desktop.idle_lock import IdleLock, LockState
from toda_desktop.passwords import password_problem
from toda_desktop.throttle import ThrottleBook


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("short", False),
        ("password", False),
        ("ＰＡＳＳＷＯＲＤ", False),  # full width folds to the blocklisted word
        ("Password123", False),
        ("toda2026", False),
        ("aaaaaaaaaa", False),
        ("lead-user1", False),  # same as the login id
        ("いつもの散歩道と青い空", True),  # any characters, no composition rules
        ("correct horse battery", True),
        ("x" * 300, False),
    ],
)
def test_password_rules(password: str, accepted: bool) -> None:
    assert (password_problem(password, "LEAD-USER1") is None) == accepted


def test_delays_grow_then_lock_and_an_admin_unlocks(tmp_path: Path) -> None:
    clock = FakeClock()
    store = tmp_path / "s.tdb"
    book = ThrottleBook.load(store, clock)
    for _ in range(3):
        book.check_allowed("slot")
        book.record_failure("slot", "password")
    with pytest.raises(SignInError, match="5秒"):
        book.check_allowed("slot")
    clock.advance(seconds=5)
    book.check_allowed("slot")
    book.record_failure("slot", "password")
    with pytest.raises(SignInError, match="10秒"):
        book.check_allowed("slot")
    for _ in range(6):
        clock.advance(minutes=10)
        book.record_failure("slot", "password")
    clock.advance(hours=5)
    reloaded = ThrottleBook.load(store, clock)
    with pytest.raises(SignInError, match="ロック"):
        reloaded.check_allowed("slot")
    assert reloaded.unlock("slot")
    ThrottleBook.load(store, clock).check_allowed("slot")
    events = ThrottleBook.load(store, clock).take_pending()
    assert len(events) == 10 and events[-1]["event"] == "account_locked"
    assert ThrottleBook.load(store, clock).pending == []


def test_palm_is_counted_apart_from_password(tmp_path: Path) -> None:
    clock = FakeClock()
    book = ThrottleBook.load(tmp_path / "s.tdb", clock)
    for _ in range(2):
        book.record_failure("slot", "password")
    for _ in range(5):
        book.record_failure("slot", "palm")
    book.record_success("slot", "password")
    with pytest.raises(SignInError, match="30秒"):
        book.check_allowed("slot")
    assert book.slots["slot"].failures == {"password": 0, "palm": 5}


def test_session_locks_when_idle_and_expires_after_max_length() -> None:
    clock = FakeClock()
    session = IdleLock(clock=clock, started_at=clock())
    clock.advance(minutes=9)
    assert session.state() is LockState.ACTIVE
    session.touch()
    clock.advance(minutes=9, seconds=59)
    assert session.state() is LockState.ACTIVE
    clock.advance(seconds=1)
    assert session.state() is LockState.LOCKED
    session.touch()  # activity while locked does not unlock
    assert session.state() is LockState.LOCKED
    session.resume()
    assert session.state() is LockState.ACTIVE
    clock.advance(hours=12)
    assert session.state() is LockState.EXPIRED
