"""Each user changes their own password with the current password and their palm (issue 13).

Real demo stores, the scriptable simulator as the scanner, the real sign-in counters."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage.errors import WrongCredentials
from storage.store import Store
from tests.services.test_sign_in import WallClock
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application
from toda_desktop.errors import SignInError, UserFacingError
from toda_desktop.store_setup import DEMO_PASSWORD
from toda_desktop.throttle import ThrottleBook

NEW = "a new passphrase of my own 7"
USER = "demo-truancy"


@pytest.fixture
def sim() -> Simulator:
    return Simulator(SimulatorConfig(seed=11, timeout_s=5), clock=FakeClock())


def _app(path: Path, sim: Simulator) -> Application:
    def factory(store_kind: str) -> Scanner:
        require_real_scanner_for(store_kind, sim)
        return sim

    return Application(path, scanner_factory=factory, clock=WallClock())


def _entries(path: Path, sim: Simulator, login: str = USER) -> list[tuple[str, str, str]]:
    lead = _app(path, sim).sign_in("demo-lead", DEMO_PASSWORD)
    rows = lead.audit_view.entries(AuditFilter(actor=login))
    lead.sign_out()
    return [(r.action, r.outcome_label, r.detail_text) for r in reversed(rows)]


def _failures(path: Path, factor: str, login: str = USER) -> int:
    book = ThrottleBook.load(path, WallClock())
    state = book.slots.get(Store.read_keyfile(path).account_slot(login))
    return 0 if state is None else state.failures[factor]


def _opens(path: Path, password: str) -> bool:
    try:
        Store.open(path, USER, password).close()
    except WrongCredentials:
        return False
    return True


def test_the_own_palm_and_the_current_password_change_it(
    demo_store_path: Path, sim: Simulator
) -> None:
    user = _app(demo_store_path, sim).sign_in(USER, DEMO_PASSWORD)
    seen: list[object] = []
    sim.push(f"RETRY too_far; SCAN {USER}")
    user.own_password.change_password(DEMO_PASSWORD, NEW, on_guidance=seen.append)
    user.sign_out()
    assert len(seen) == 1  # the scanner's guidance reaches the caller (the dialog shows it)
    assert _opens(demo_store_path, NEW) and not _opens(demo_store_path, DEMO_PASSWORD)
    changed = [e for e in _entries(demo_store_path, sim) if e[0] == "password_changed"]
    assert changed == [("password_changed", "成功", "方法: パスワードと手のひら静脈")]


def test_someone_elses_palm_leaves_the_password_and_counts_as_a_palm_failure(
    demo_store_path: Path, sim: Simulator
) -> None:
    user = _app(demo_store_path, sim).sign_in(USER, DEMO_PASSWORD)
    sim.push("SCAN demo-bullying")
    with pytest.raises(UserFacingError, match="手のひら静脈を確認できませんでした"):
        user.own_password.change_password(DEMO_PASSWORD, NEW)
    user.sign_out()
    assert _opens(demo_store_path, DEMO_PASSWORD) and not _opens(demo_store_path, NEW)
    assert _failures(demo_store_path, "palm") == 1
    actions = [(a, o) for a, o, _ in _entries(demo_store_path, sim)]
    assert ("palm_verify_failed", "失敗") in actions
    assert ("password_changed", "失敗") in actions


def test_a_wrong_current_password_counts_like_a_sign_in_failure_and_locks_the_account(
    demo_store_path: Path, sim: Simulator
) -> None:
    app = _app(demo_store_path, sim)
    user = app.sign_in(USER, DEMO_PASSWORD)
    for attempt in range(1, 12):
        with pytest.raises(UserFacingError) as refused:
            user.own_password.change_password(f"wrong guess {attempt}", NEW)
        if "ロックされました" in refused.value.message_ja:
            break
        assert refused.value.message_ja == "現在のパスワードが正しくありません。"
        assert _failures(demo_store_path, "password") == attempt
        app.clock.advance(minutes=5, seconds=1)  # type: ignore[attr-defined]  # past any delay
        user.idle_lock.touch()  # (the user is at the screen all along)
    assert attempt == 10  # the sign-in's lockout count for passwords
    with pytest.raises(UserFacingError, match="ロック"):  # no more tries in this session
        user.own_password.change_password(DEMO_PASSWORD, NEW)
    user.sign_out()
    with pytest.raises(SignInError, match="ロック"):  # nor at the next sign-in
        app.sign_in(USER, DEMO_PASSWORD)
    assert _opens(demo_store_path, DEMO_PASSWORD)  # the password itself never changed
    actions = [(a, o) for a, o, _ in _entries(demo_store_path, sim)]
    assert ("account_locked", "失敗") in actions
    assert actions.count(("password_changed", "失敗")) == 10


def test_an_account_without_an_enrolled_palm_cannot_change_its_password(
    demo_store_path: Path, sim: Simulator
) -> None:
    app = _app(demo_store_path, sim)
    user = app.sign_in(USER, DEMO_PASSWORD)
    it = _app(demo_store_path, sim).sign_in("demo-it", DEMO_PASSWORD)
    it.account_admin.revoke_palm(USER)
    it.sign_out()
    with pytest.raises(UserFacingError, match="手のひら静脈が登録されていない"):
        user.own_password.change_password(DEMO_PASSWORD, NEW)
    user.sign_out()
    assert _opens(demo_store_path, DEMO_PASSWORD)
    assert ("password_changed", "拒否", "理由: 手のひら静脈の登録なし") in _entries(
        demo_store_path, sim)


def test_the_new_password_is_checked_before_the_palm_is_asked(
    demo_store_path: Path, sim: Simulator
) -> None:
    user = _app(demo_store_path, sim).sign_in(USER, DEMO_PASSWORD)
    sim.push("SCAN demo-bullying")  # would fail, but is never read
    with pytest.raises(UserFacingError, match="文字"):
        user.own_password.change_password(DEMO_PASSWORD, "short")
    assert sim.pending()
    user.sign_out()
    assert _failures(demo_store_path, "palm") == 0


def test_stopping_at_the_palm_is_logged_as_stopped_and_not_counted(
    demo_store_path: Path, sim: Simulator
) -> None:
    user = _app(demo_store_path, sim).sign_in(USER, DEMO_PASSWORD)
    with pytest.raises(UserFacingError):  # 中止 pressed while the scanner waits
        user.own_password.change_password(DEMO_PASSWORD, NEW, cancel=lambda: True)
    user.sign_out()
    assert _opens(demo_store_path, DEMO_PASSWORD)
    assert _failures(demo_store_path, "palm") == 0
    # (a fresh scanner: the first still holds the step presented for the user, never read)
    fresh = Simulator(SimulatorConfig(seed=12, timeout_s=5), clock=FakeClock())
    changed = [(a, o) for a, o, _ in _entries(demo_store_path, fresh)
               if a == "password_changed"]
    assert changed == [("password_changed", "中止")]
